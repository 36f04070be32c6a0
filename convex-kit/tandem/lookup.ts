/** Index lookups by Postgres key, shared by apply and export. */
import {
  KEY_INDEX,
  TOMBSTONE_INDEX,
  TOMBSTONE_TABLE,
  type MirrorDoc,
  type MirrorReader,
} from './types.js';

interface EqChain {
  eq(field: string, value: string): EqChain;
}

export async function findByKey(
  db: MirrorReader,
  table: string,
  key: string,
): Promise<MirrorDoc | null> {
  const doc = await db
    .query(table)
    .withIndex(KEY_INDEX, (q) => q.eq('pgKey', key))
    .unique();
  return doc as MirrorDoc | null;
}

export async function findTombstone(
  db: MirrorReader,
  table: string,
  key: string,
): Promise<MirrorDoc | null> {
  const doc = await db
    .query(TOMBSTONE_TABLE)
    // The generic data model does not know the index has two fields.
    .withIndex(
      TOMBSTONE_INDEX,
      (q) => (q as unknown as EqChain).eq('table', table).eq('pgKey', key) as never,
    )
    .unique();
  return doc as MirrorDoc | null;
}
