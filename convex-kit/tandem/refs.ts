/**
 * Foreign keys resolved to Convex Ids. A child's `ref_<column>` holds the
 * parent's document Id when the parent is mirrored; a child that arrives
 * first gets it when the parent is inserted, found through the index on the
 * legacy column. When a parent is deleted its children's refs are removed, so
 * a ref never points at a deleted document.
 */
import type { GenericId, Value } from 'convex/values';
import { findByKey } from './lookup.js';
import { MIRRORED_TABLES } from './tables.js';
import type { MirroredForeignKey, MirrorWriter } from './types.js';

interface ChildLink {
  table: string;
  fk: MirroredForeignKey;
}

function childLinks(parentTable: string): ChildLink[] {
  return Object.entries(MIRRORED_TABLES).flatMap(([table, config]) =>
    config.foreignKeys.filter((fk) => fk.references === parentTable).map((fk) => ({ table, fk })),
  );
}

/** Parent keys are one column, so the canonical key text is the value's text. */
function parentKey(value: unknown): string {
  return String(value);
}

export async function resolveRefs(
  db: MirrorWriter,
  table: string,
  doc: Record<string, unknown>,
): Promise<Record<string, GenericId<string>>> {
  const refs: Record<string, GenericId<string>> = {};
  for (const fk of MIRRORED_TABLES[table]!.foreignKeys) {
    const value = doc[fk.column];
    if (value === null || value === undefined) continue;
    const parent = await findByKey(db, fk.references, parentKey(value));
    if (parent) refs[fk.refField] = parent._id;
  }
  return refs;
}

async function childrenOf(db: MirrorWriter, link: ChildLink, parentValue: Value) {
  return db
    .query(link.table)
    .withIndex(link.fk.index, (q) => q.eq(link.fk.column, parentValue))
    .collect();
}

function primaryKeyValue(parentTable: string, parentDoc: Record<string, unknown>): Value {
  return parentDoc[MIRRORED_TABLES[parentTable]!.primaryKey[0]!] as Value;
}

/** After a parent is inserted: point every child waiting for it at its new Id. */
export async function fillChildRefs(
  db: MirrorWriter,
  parentTable: string,
  parentDoc: Record<string, unknown>,
  parentId: GenericId<string>,
): Promise<void> {
  const value = primaryKeyValue(parentTable, parentDoc);
  for (const link of childLinks(parentTable)) {
    for (const child of await childrenOf(db, link, value)) {
      if (child[link.fk.refField] !== parentId)
        await db.patch(child._id as GenericId<string>, { [link.fk.refField]: parentId });
    }
  }
}

/** After a parent is deleted: its children's refs would dangle, so remove them. */
export async function clearChildRefs(
  db: MirrorWriter,
  parentTable: string,
  parentDoc: Record<string, unknown>,
): Promise<void> {
  const value = primaryKeyValue(parentTable, parentDoc);
  for (const link of childLinks(parentTable)) {
    for (const child of await childrenOf(db, link, value)) {
      if (child[link.fk.refField] !== undefined) {
        await db.patch(child._id as GenericId<string>, { [link.fk.refField]: undefined });
      }
    }
  }
}
