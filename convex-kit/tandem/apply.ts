/**
 * Versioned apply of mapped Postgres changes (DESIGN.md section 2).
 *
 * Per key, the mirror keeps either a document or a tombstone, carrying the
 * version of the newest change applied. A change applies only if its version
 * is newer than both; otherwise it is a no-op. So duplicates, replays and late
 * older changes change nothing, and the state per key is always the newest
 * version's: an upsert (which removes a tombstone: the key was re-inserted) or
 * an absent document (a delete, which raises the tombstone).
 *
 * A table's companion content is versioned on its own: an update that left the
 * heavy columns unchanged arrives without them (`keepContent`) and keeps the
 * companion document as it is. The content at any version is the content of
 * the newest change at or below it that carried content, so a content-carrying
 * change older than the document still fills in content that is missing or
 * older (it arrives late when changes are delivered out of order), and never
 * touches the document itself.
 *
 * All transactions passed in one call run in one Convex mutation: one failing
 * change throws and nothing of the call is applied.
 */
import { ConvexError } from 'convex/values';
import { findByKey, findTombstone } from './lookup.js';
import { clearChildRefs, fillChildRefs, resolveRefs } from './refs.js';
import { MIRRORED_TABLES } from './tables.js';
import {
  TOMBSTONE_TABLE,
  type MappedChangeArg,
  type MirroredTable,
  type MirrorDoc,
  type MirrorWriter,
  type TransactionArg,
} from './types.js';

export interface ApplyOutcome {
  applied: number;
  skipped: number;
}

const MIRROR_FIELDS = new Set(['pgKey', 'pgVersion', '_id', '_creationTime']);

export async function applyTransactions(
  db: MirrorWriter,
  transactions: TransactionArg[],
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: 0, skipped: 0 };
  for (const tx of transactions) {
    for (const change of tx.changes) {
      let applied: boolean;
      try {
        applied = await applyChange(db, change);
      } catch (error) {
        throw new ConvexError({
          kind: 'apply_failed',
          txid: tx.txid,
          table: change.table,
          key: change.key,
          version: change.version,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      if (applied) outcome.applied++;
      else outcome.skipped++;
    }
  }
  return outcome;
}

/** Applies one change; false when it is not newer than what the mirror holds. */
export async function applyChange(db: MirrorWriter, change: MappedChangeArg): Promise<boolean> {
  const table = MIRRORED_TABLES[change.table];
  if (!table) throw new Error(`table ${change.table} is not mirrored`);
  const existing = await findByKey(db, change.table, change.key);
  const tombstone = await findTombstone(db, change.table, change.key);
  const newest = Math.max(existing?.pgVersion ?? -Infinity, tombstone?.pgVersion ?? -Infinity);
  if (change.version <= newest) return fillLateContent(db, table, change, existing);
  if (change.op === 'delete') await applyDelete(db, table, change, existing, tombstone);
  else await applyUpsert(db, table, change, existing, tombstone);
  return true;
}

/** A change no newer than the document: only its content can still matter (see the header). */
async function fillLateContent(
  db: MirrorWriter,
  table: MirroredTable,
  change: MappedChangeArg,
  existing: MirrorDoc | null,
): Promise<boolean> {
  if (!existing || !table.content || change.op !== 'upsert' || !change.content) return false;
  const current = await findByKey(db, table.content.table, change.key);
  if (current && current.pgVersion >= change.version) return false;
  await writeContent(db, table.content.table, change, current);
  return true;
}

async function writeContent(
  db: MirrorWriter,
  contentTable: string,
  change: MappedChangeArg,
  current: MirrorDoc | null,
): Promise<void> {
  const content = { ...change.content, pgKey: change.key, pgVersion: change.version };
  if (current) await db.replace(current._id, content);
  else await db.insert(contentTable, content);
}

function checkUpsert(table: MirroredTable, change: MappedChangeArg): Record<string, unknown> {
  const doc = change.doc;
  if (!doc) throw new Error('upsert without doc');
  for (const field of Object.keys(doc)) {
    if (MIRROR_FIELDS.has(field) || field.startsWith('ref_'))
      throw new Error(`doc must not set ${field}`);
  }
  if (change.keepContent && change.content)
    throw new Error('an upsert either carries content or keeps it, not both');
  if (table.content && !change.content && !change.keepContent)
    throw new Error(`upsert of ${change.table} needs its content columns`);
  if (!table.content && (change.content || change.keepContent))
    throw new Error(`${change.table} has no content table`);
  return doc;
}

async function applyUpsert(
  db: MirrorWriter,
  table: MirroredTable,
  change: MappedChangeArg,
  existing: MirrorDoc | null,
  tombstone: MirrorDoc | null,
): Promise<void> {
  const doc = checkUpsert(table, change);
  const refs = await resolveRefs(db, change.table, doc);
  const document = { ...doc, pgKey: change.key, pgVersion: change.version, ...refs };
  if (tombstone) await db.delete(tombstone._id);
  if (existing) {
    await db.replace(existing._id, document);
  } else {
    const id = await db.insert(change.table, document);
    await fillChildRefs(db, change.table, doc, id);
  }
  if (table.content && change.content) {
    const current = await findByKey(db, table.content.table, change.key);
    await writeContent(db, table.content.table, change, current);
  }
}

async function applyDelete(
  db: MirrorWriter,
  table: MirroredTable,
  change: MappedChangeArg,
  existing: MirrorDoc | null,
  tombstone: MirrorDoc | null,
): Promise<void> {
  if (existing) {
    await db.delete(existing._id);
    await clearChildRefs(db, change.table, existing);
  }
  if (table.content) {
    const content = await findByKey(db, table.content.table, change.key);
    if (content) await db.delete(content._id);
  }
  if (tombstone) await db.patch(tombstone._id, { pgVersion: change.version });
  else
    await db.insert(TOMBSTONE_TABLE, {
      table: change.table,
      pgKey: change.key,
      pgVersion: change.version,
    });
}
