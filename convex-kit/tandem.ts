/**
 * Tandem's Convex functions: the versioned apply of mirrored Postgres
 * transactions and a paged export for parity. Both internal: they are called
 * with an admin/deploy key (HttpConvexTarget) or in-process (convex-test).
 */
import { v } from 'convex/values';
import {
  internalMutationGeneric as internalMutation,
  internalQueryGeneric as internalQuery,
} from 'convex/server';
import { applyTransactions } from './tandem/apply.js';
import { exportTablePage } from './tandem/exportRows.js';
import type { MirrorReader, MirrorWriter } from './tandem/types.js';

const mappedChange = v.object({
  table: v.string(),
  key: v.string(),
  version: v.number(),
  op: v.union(v.literal('upsert'), v.literal('delete')),
  // Mapped columns; the table's schema validates them on write.
  doc: v.optional(v.any()),
  content: v.optional(v.any()),
  // The update left the heavy columns unchanged: keep the companion document.
  keepContent: v.optional(v.boolean()),
});

const transactionBatch = v.object({ txid: v.string(), changes: v.array(mappedChange) });

/** Applies whole Postgres transactions atomically (one call = one mutation). */
export const applyBatch = internalMutation({
  args: { transactions: v.array(transactionBatch) },
  returns: v.object({ applied: v.number(), skipped: v.number() }),
  handler: async (ctx, { transactions }) =>
    applyTransactions(ctx.db as unknown as MirrorWriter, transactions),
});

/** One page of a mirrored table in pgKey order, capped by rows and bytes. */
export const exportPage = internalQuery({
  args: {
    table: v.string(),
    cursor: v.union(v.string(), v.null()),
    numItems: v.number(),
    maxBytes: v.optional(v.number()),
  },
  returns: v.object({
    page: v.array(v.object({ key: v.string(), version: v.number(), columns: v.any() })),
    isDone: v.boolean(),
    continueCursor: v.string(),
  }),
  handler: async (ctx, { table, cursor, numItems, maxBytes }) =>
    exportTablePage(ctx.db as unknown as MirrorReader, table, cursor, numItems, maxBytes),
});
