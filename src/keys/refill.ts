/**
 * Keeps a writer outside Postgres supplied with reserved ids: for each table,
 * when fewer than `lowWater` ids are left in the store, reserve `batch` more
 * from Postgres and hand them over. Ids are reserved before they are stored,
 * so a crash in between leaves a gap in the sequence, never an id stored twice;
 * the store ignores a run it already holds, so a lost answer can be retried.
 */
import type { ToolSchema } from '../core/toolSchema.js';
import type { Queryable } from '../postgres/database.js';
import { reserveKeys, type KeyColumn, type KeyRun } from './reserveKeys.js';

/** Where reserved ids are kept for the other writer (Convex's key_ranges table, for one). */
export interface KeyRangeStore {
  keysLeft(tables: readonly string[]): Promise<Map<string, number>>;
  addRanges(table: string, runs: KeyRun[]): Promise<void>;
}

export interface RefillOptions {
  /** Refill a table when fewer ids than this are left (default 1,000). */
  lowWater?: number;
  /** Ids reserved per refill (default 5,000). */
  batch?: number;
  /** Tandem's schema: with it, a decommissioned table's ids come from where its table is kept now. */
  tool?: ToolSchema;
}

export interface RefillOutcome {
  table: string;
  left: number;
  reserved: number;
}

export async function refillKeyRanges(
  db: Queryable,
  store: KeyRangeStore,
  keys: readonly KeyColumn[],
  options: RefillOptions = {},
): Promise<RefillOutcome[]> {
  const lowWater = options.lowWater ?? 1_000;
  const batch = options.batch ?? 5_000;
  const left = await store.keysLeft(keys.map((k) => k.table));
  const outcomes: RefillOutcome[] = [];
  for (const key of keys) {
    const before = left.get(key.table) ?? 0;
    let reserved = 0;
    if (before < lowWater) {
      const reservation = await reserveKeys(db, key, Math.max(batch, lowWater - before), { tool: options.tool });
      await store.addRanges(key.table, reservation.runs);
      reserved = reservation.count;
    }
    outcomes.push({ table: key.table, left: before, reserved });
  }
  return outcomes;
}

/** What the Convex side of the store needs: an internal query and mutation by path (any Convex target). */
export interface ConvexFunctionRunner {
  query(path: string, args: Record<string, unknown>): Promise<unknown>;
  mutation(path: string, args: Record<string, unknown>): Promise<unknown>;
}

export interface ConvexKeyRangePaths {
  keysLeft: string;
  addKeyRanges: string;
}

/** The paths of the key-range functions in an app's Convex folder (the story site's: convex/writes/keys.ts). */
export const DEFAULT_KEY_RANGE_PATHS: ConvexKeyRangePaths = {
  keysLeft: 'writes/keys:keysLeft',
  addKeyRanges: 'writes/keys:addKeyRanges',
};

const RUNS_PER_CALL = 4_000;

export function convexKeyRangeStore(
  convex: ConvexFunctionRunner,
  paths: ConvexKeyRangePaths = DEFAULT_KEY_RANGE_PATHS,
): KeyRangeStore {
  return {
    async keysLeft(tables) {
      const rows = (await convex.query(paths.keysLeft, { tables: [...tables] })) as Array<{
        table: string;
        left: number;
      }>;
      return new Map(rows.map((r) => [r.table, r.left]));
    },
    async addRanges(table, runs) {
      // Convex arguments hold at most 8,192 array elements.
      for (let i = 0; i < runs.length; i += RUNS_PER_CALL)
        await convex.mutation(paths.addKeyRanges, {
          table,
          runs: runs.slice(i, i + RUNS_PER_CALL),
        });
    },
  };
}
