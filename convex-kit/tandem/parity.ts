/**
 * Tandem's parity queries (`tandem/parity:*`). Internal, like the apply
 * function: called with an admin/deploy key (HttpConvexTarget) or in-process
 * (convex-test). Every query reads one bounded page; callers page on.
 */
import { v } from 'convex/values';
import { internalQueryGeneric as internalQuery } from 'convex/server';
import { findByKey } from './lookup.js';
import {
  countPage,
  hashRow,
  mirroredTable,
  rangeDigestPage,
  readRangePage,
  rowColumns,
} from './ranges.js';
import type { MirrorReader } from './types.js';

const range = v.object({
  after: v.union(v.string(), v.null()),
  upTo: v.union(v.string(), v.null()),
});
const cursor = v.union(v.string(), v.null());
const reader = (db: unknown) => db as MirrorReader;

/** Row count and digest (sum of row-hash prefixes) of one page of a key range. */
export const rangeDigest = internalQuery({
  args: { table: v.string(), range, cursor, maxRows: v.number() },
  returns: v.object({ count: v.number(), sum: v.string(), continueCursor: cursor }),
  handler: async (ctx, args) =>
    rangeDigestPage(reader(ctx.db), args.table, args.range, args.cursor, args.maxRows),
});

/** Keys, versions and canonical hashes of one page of a key range (bisection leaves). */
export const rangeRowHashes = internalQuery({
  args: { table: v.string(), range, cursor, maxRows: v.number() },
  returns: v.object({
    rows: v.array(v.object({ key: v.string(), version: v.number(), hash: v.string() })),
    continueCursor: cursor,
  }),
  handler: async (ctx, args) => {
    const page = await readRangePage(
      reader(ctx.db),
      args.table,
      args.range,
      args.cursor,
      args.maxRows,
    );
    return {
      rows: page.rows.map(({ key, version, hash }) => ({ key, version, hash })),
      continueCursor: page.continueCursor,
    };
  },
});

export const MAX_KEYS_PER_CALL = 200;

/** The rows Convex holds for these keys (absent keys are left out), with their hashes. */
export const rowsByKeys = internalQuery({
  args: { table: v.string(), keys: v.array(v.string()) },
  returns: v.array(
    v.object({ key: v.string(), version: v.number(), hash: v.string(), columns: v.any() }),
  ),
  handler: async (ctx, { table: tableName, keys }) => {
    const table = mirroredTable(tableName);
    const db = reader(ctx.db);
    const rows = [];
    for (const key of keys.slice(0, MAX_KEYS_PER_CALL)) {
      const doc = await findByKey(db, tableName, key);
      if (!doc) continue;
      const { columns } = await rowColumns(db, table, doc);
      rows.push({ key, version: doc.pgVersion, hash: hashRow(tableName, table, columns), columns });
    }
    return rows;
  },
});

/** Number of documents in one page of a mirrored table. */
export const countRows = internalQuery({
  args: { table: v.string(), cursor, maxRows: v.number() },
  returns: v.object({ count: v.number(), continueCursor: cursor }),
  handler: async (ctx, args) => countPage(reader(ctx.db), args.table, args.cursor, args.maxRows),
});
