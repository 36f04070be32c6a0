/**
 * The reverse-sync worker's functions (paths `tandem/reverseSync:*`): read the
 * change log after a cursor, prune what Postgres has committed, and raise the
 * version counter past the Postgres outbox sequence. Internal: the worker
 * calls them with an admin/deploy key, like the relay calls applyBatch.
 */
import { v, type GenericId } from 'convex/values';
import {
  internalMutationGeneric as internalMutation,
  internalQueryGeneric as internalQuery,
} from 'convex/server';
import {
  CHANGELOG_HEAD_TABLE,
  CHANGELOG_SEQ_INDEX,
  CHANGELOG_TABLE,
  raiseVersionFloor as raiseFloor,
  type ChangeLogEntry,
} from './changeLog.js';
import type { MirrorReader, MirrorWriter } from './types.js';

/** Convex arrays and returns stay far below their limits: at most this many entries a page. */
const MAX_PAGE = 1000;
const MAX_PRUNE = 1000;
/** How far `pending` counts before it stops (the worker reports "at least"). */
const MAX_COUNT = 8000;

interface SeqRange {
  gt(field: string, value: number): SeqRange;
  lte(field: string, value: number): SeqRange;
}

function afterCursor(db: MirrorReader, after: number) {
  return db
    .query(CHANGELOG_TABLE)
    .withIndex(CHANGELOG_SEQ_INDEX, (q) => (q as unknown as SeqRange).gt('seq', after) as never);
}

function entryOf(doc: Record<string, unknown>): ChangeLogEntry {
  const entry: ChangeLogEntry = {
    seq: doc.seq as number,
    table: doc.table as string,
    pgKey: doc.pgKey as string,
    op: doc.op as 'upsert' | 'delete',
    version: doc.version as number,
    loggedAt: doc.loggedAt as number,
  };
  if (doc.doc !== undefined) entry.doc = doc.doc as Record<string, unknown>;
  return entry;
}

const entryValidator = v.object({
  seq: v.number(),
  table: v.string(),
  pgKey: v.string(),
  op: v.union(v.literal('upsert'), v.literal('delete')),
  version: v.number(),
  doc: v.optional(v.any()),
  loggedAt: v.number(),
});

/** Entries with seq > after, in seq order, and the counter (the newest seq drawn). */
export const changeLogPage = internalQuery({
  args: { after: v.number(), limit: v.number() },
  returns: v.object({ entries: v.array(entryValidator), head: v.number() }),
  handler: async (ctx, { after, limit }) => {
    const db = ctx.db as unknown as MirrorReader;
    const docs = await afterCursor(db, after).take(
      Math.max(1, Math.min(MAX_PAGE, Math.floor(limit))),
    );
    const head = await db.query(CHANGELOG_HEAD_TABLE).first();
    return { entries: docs.map(entryOf), head: (head?.seq as number | undefined) ?? 0 };
  },
});

/** How many entries after the cursor are not applied yet (only `tables`, when given), and the oldest one's time. */
export const changeLogPending = internalQuery({
  args: { after: v.number(), tables: v.optional(v.array(v.string())) },
  returns: v.object({
    pending: v.number(),
    capped: v.boolean(),
    oldestLoggedAt: v.union(v.number(), v.null()),
  }),
  handler: async (ctx, { after, tables }) => {
    const db = ctx.db as unknown as MirrorReader;
    let pending = 0;
    let oldestLoggedAt: number | null = null;
    for await (const doc of afterCursor(db, after)) {
      if (tables && !tables.includes(doc.table as string)) continue;
      oldestLoggedAt ??= doc.loggedAt as number;
      if (++pending >= MAX_COUNT) return { pending, capped: true, oldestLoggedAt };
    }
    return { pending, capped: false, oldestLoggedAt };
  },
});

/** Deletes entries with seq <= upTo (Postgres has committed them); at most 1,000 a call. */
export const pruneChangeLog = internalMutation({
  args: { upTo: v.number() },
  returns: v.object({ deleted: v.number(), more: v.boolean() }),
  handler: async (ctx, { upTo }) => {
    const db = ctx.db as unknown as MirrorWriter;
    const docs = await db
      .query(CHANGELOG_TABLE)
      .withIndex(CHANGELOG_SEQ_INDEX, (q) => (q as unknown as SeqRange).lte('seq', upTo) as never)
      .take(MAX_PRUNE + 1);
    const doomed = docs.slice(0, MAX_PRUNE);
    for (const doc of doomed) await db.delete(doc._id as GenericId<string>);
    return { deleted: doomed.length, more: docs.length > MAX_PRUNE };
  },
});

/** Raises the version counter to at least `floor`; returns the counter. */
export const raiseVersionFloor = internalMutation({
  args: { floor: v.number() },
  returns: v.number(),
  handler: async (ctx, { floor }) => raiseFloor(ctx.db as unknown as MirrorWriter, floor),
});
