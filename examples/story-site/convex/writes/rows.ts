/**
 * Writing mirrored documents from a Convex write path, in the shape the mirror
 * keeps (convex/tandem/apply.ts): the Postgres columns, `pgKey`, `pgVersion`
 * and the `ref_*` Ids of parents that exist, plus the companion document for
 * heavy columns. Every write goes through the one `db` passed in, so a wrapper
 * around it (reverse sync's change log) sees every insert, patch and delete.
 *
 * `pgVersion` of a document written here: an insert gets 0 and a patch keeps
 * the document's version. Versions order the changes that came from Postgres;
 * any later Postgres change (after a rollback of the writer) carries an outbox
 * version above every earlier one, so it still applies over a Convex write.
 */
import type { GenericId, Value } from 'convex/values';
import type { Doc, TableNames } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { findByKey, findTombstone } from '../tandem/lookup.js';
import { clearChildRefs, fillChildRefs, resolveRefs } from '../tandem/refs.js';
import { MIRRORED_TABLES } from '../tandem/tables.js';
import { TOMBSTONE_TABLE, type MirrorReader, type MirrorWriter } from '../tandem/types.js';

export type MirroredName = Exclude<
  TableNames,
  'story_content' | 'tombstones' | 'key_ranges' | 'legacy_users'
>;

type Columns<T extends MirroredName> = Omit<
  Doc<T>,
  '_id' | '_creationTime' | 'pgKey' | 'pgVersion' | `ref_${string}`
>;

const mirror = (db: DatabaseReader) => db as unknown as MirrorWriter;

/** One mirrored row by its Postgres key. */
export async function rowByKey<T extends MirroredName>(
  db: DatabaseReader,
  table: T,
  key: string | number,
): Promise<Doc<T> | null> {
  return (await findByKey(db as unknown as MirrorReader, table, String(key))) as Doc<T> | null;
}

/** Inserts a new row under its Postgres key, with the refs of the parents that exist. */
export async function insertRow<T extends MirroredName>(
  db: DatabaseWriter,
  table: T,
  columns: Columns<T>,
): Promise<Doc<T>> {
  const row = columns as unknown as Record<string, unknown>;
  const refs = await resolveRefs(mirror(db), table, row);
  const document = { ...row, pgKey: String(row.id), pgVersion: 0, ...refs };
  const id = await mirror(db).insert(table, document);
  await fillChildRefs(mirror(db), table, row, id);
  return (await db.get(id as GenericId<T>)) as Doc<T>;
}

/**
 * Patches a row's columns. Only the columns that change are written (an
 * unchanged write would reach reverse sync as a change); a changed foreign
 * key column gets its `ref_*` resolved again.
 */
export async function patchRow<T extends MirroredName>(
  db: DatabaseWriter,
  table: T,
  row: Doc<T>,
  changes: Partial<Columns<T>>,
): Promise<Doc<T>> {
  const current = row as unknown as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(changes)) {
    if (value !== undefined && !sameValue(current[column], value)) changed[column] = value;
  }
  if (Object.keys(changed).length === 0) return row;
  for (const fk of MIRRORED_TABLES[table]!.foreignKeys) {
    if (!(fk.column in changed)) continue;
    const value = changed[fk.column];
    const parent =
      value === null ? null : await findByKey(mirror(db), fk.references, String(value));
    changed[fk.refField] = parent?._id;
  }
  await mirror(db).patch(
    row._id as GenericId<string>,
    changed as Record<string, Value | undefined>,
  );
  return { ...row, ...changed } as Doc<T>;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return a === b;
}

/**
 * Deletes a row as the mirror does: the document, its companion, the
 * children's refs to it, and a tombstone at its version so that a late,
 * older change from Postgres cannot bring it back.
 */
export async function deleteRow<T extends MirroredName>(
  db: DatabaseWriter,
  table: T,
  row: Doc<T>,
): Promise<void> {
  const doc = row as unknown as Record<string, unknown> & { pgKey: string; pgVersion: number };
  await db.delete(row._id);
  await clearChildRefs(mirror(db), table, doc);
  const content = MIRRORED_TABLES[table]!.content;
  if (content) {
    const companion = await findByKey(mirror(db), content.table, doc.pgKey);
    if (companion) await db.delete(companion._id as GenericId<'story_content'>);
  }
  const tombstone = await findTombstone(mirror(db), table, doc.pgKey);
  if (tombstone) {
    if (tombstone.pgVersion < doc.pgVersion)
      await mirror(db).patch(tombstone._id, { pgVersion: doc.pgVersion });
  } else {
    await mirror(db).insert(TOMBSTONE_TABLE, { table, pgKey: doc.pgKey, pgVersion: doc.pgVersion });
  }
}

export interface StoryContent {
  text: string | null;
  json: unknown;
}

export async function storyContent(db: DatabaseReader, story: Doc<'story'>): Promise<StoryContent> {
  const content = await findByKey(db as unknown as MirrorReader, 'story_content', story.pgKey);
  return {
    text: (content?.text as string | null | undefined) ?? null,
    json: content?.json ?? null,
  };
}

/** Writes a story's heavy columns into its companion document (created when absent). */
export async function writeStoryContent(
  db: DatabaseWriter,
  story: Doc<'story'>,
  content: StoryContent,
): Promise<void> {
  const current = await findByKey(db as unknown as MirrorReader, 'story_content', story.pgKey);
  if (!current) {
    await db.insert('story_content', {
      pgKey: story.pgKey,
      pgVersion: story.pgVersion,
      ...content,
    });
  } else {
    // Always written: comparing two JSON documents of a few hundred kilobytes costs more than the write.
    await db.patch(current._id as GenericId<'story_content'>, {
      text: content.text,
      json: content.json,
    });
  }
}
