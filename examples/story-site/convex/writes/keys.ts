/**
 * Postgres-compatible ids for rows created in Convex (docs/write-cutover-keys.md).
 *
 * Tandem reserves ranges of ids from the Postgres sequence of a table's key
 * column (`nextval`, so Postgres never hands them out again; src/keys/) and
 * stores them here with `addKeyRanges`. A write path takes the ids it needs
 * with `takeKeys`, in the same mutation as the insert: when the mutation is
 * refused or fails, Convex rolls the take back with everything else, so an id
 * is used exactly once and a refused write leaves no gap. When a table's
 * ranges run dry the write is refused (`keys_exhausted`) rather than inventing
 * an id; the refiller tops ranges up long before that.
 *
 * Nothing here names a table of the story site: any mirrored table with a
 * sequence-backed key can use it.
 */
import { v } from 'convex/values';
import type { Doc } from '../_generated/dataModel.js';
import {
  internalMutation,
  internalQuery,
  type DatabaseReader,
  type DatabaseWriter,
} from '../_generated/server.js';
import { refuse } from './refusals.js';

/**
 * A used-up range stays stored (flagged `exhausted`), so that a retried
 * `addKeyRanges` cannot bring its ids back; takes read only the live ones.
 */
function rangesOf(db: DatabaseReader, table: string) {
  return db
    .query('key_ranges')
    .withIndex('by_table_live', (q) => q.eq('table', table).eq('exhausted', false));
}

function left(range: Doc<'key_ranges'>): number {
  return range.next > range.last ? 0 : Math.floor((range.last - range.next) / range.step) + 1;
}

/** Takes `count` unused ids of `table`, lowest range first; refuses when the ranges hold fewer. */
export async function takeKeys(
  db: DatabaseWriter,
  table: string,
  count: number,
): Promise<number[]> {
  const ids: number[] = [];
  for await (const range of rangesOf(db, table)) {
    let next = range.next;
    while (ids.length < count && next <= range.last) {
      ids.push(next);
      next += range.step;
    }
    await db.patch(range._id, next > range.last ? { next, exhausted: true } : { next });
    if (ids.length === count) return ids;
  }
  return refuse({
    code: 'keys_exhausted',
    field: null,
    message: `no reserved ${table} ids left in Convex (${ids.length} of ${count}): refill the key ranges`,
  });
}

export async function takeKey(db: DatabaseWriter, table: string): Promise<number> {
  return (await takeKeys(db, table, 1))[0]!;
}

const run = v.object({ first: v.number(), last: v.number(), step: v.number() });

/**
 * Stores reserved runs of ids. Idempotent: a run already stored (same table
 * and first id), used up or not, is not stored twice, so the refiller may
 * retry a call whose answer it lost.
 */
export const addKeyRanges = internalMutation({
  args: { table: v.string(), runs: v.array(run) },
  returns: v.object({ added: v.number() }),
  handler: async (ctx, { table, runs }) => {
    let added = 0;
    for (const r of runs) {
      if (
        !Number.isSafeInteger(r.first) ||
        !Number.isSafeInteger(r.last) ||
        r.step < 1 ||
        r.last < r.first
      )
        throw new Error(`invalid key run ${JSON.stringify(r)} for ${table}`);
      const seen = await ctx.db
        .query('key_ranges')
        .withIndex('by_table_first', (q) => q.eq('table', table).eq('first', r.first))
        .first();
      if (seen) continue;
      await ctx.db.insert('key_ranges', { table, ...r, next: r.first, exhausted: false });
      added++;
    }
    return { added };
  },
});

/** Ids left per table (the refiller's low-water check). */
export const keysLeft = internalQuery({
  args: { tables: v.array(v.string()) },
  returns: v.array(v.object({ table: v.string(), left: v.number() })),
  handler: async (ctx, { tables }) => {
    const out = [];
    for (const table of tables) {
      let n = 0;
      for await (const range of rangesOf(ctx.db, table)) n += left(range);
      out.push({ table, left: n });
    }
    return out;
  },
});
