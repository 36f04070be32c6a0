/**
 * Row counts for the overview. An exact count(*) reads the whole table, so it
 * is only taken below a size the planner's statistics vouch for; above it the
 * statistics' estimate is shown (and flagged as one). Convex is counted only
 * when a counter is given (a paged count over the deployment), in the
 * background and at most once per `convexEveryMs` per table; until then, and
 * without a counter, the latest parity run's Convex count stands in.
 */
import pg from 'pg';
import type { Queryable } from '../postgres/database.js';
import { readTreeRowEstimate } from '../postgres/catalog/index.js';

/** Below this many rows (by the planner's estimate) Postgres rows are counted exactly. */
export const EXACT_ROW_COUNT_BELOW = 50_000;

export interface PostgresRows {
  rows: number;
  estimated: boolean;
}

/**
 * Rows of `schema.table`: the sum of pg_class.reltuples over the table and its
 * partitions when that is at least `exactBelow`, else an exact count. A table
 * never analyzed (reltuples -1) is counted exactly. Null when the table is gone.
 */
export async function postgresRowCount(
  db: Queryable,
  schema: string,
  table: string,
  exactBelow = EXACT_ROW_COUNT_BELOW,
): Promise<PostgresRows | null> {
  const qualified = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
  const tree = await readTreeRowEstimate(db, schema, table);
  if (tree === null) return null;
  if (tree.known && tree.estimate >= exactBelow) return { rows: Math.round(tree.estimate), estimated: true };
  const counted = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
  return { rows: Number(counted.rows[0]!.n), estimated: false };
}

/** Counts a table's rows in Convex (e.g. countConvexRows over a ParityReader). */
export type ConvexRowCounter = (table: string) => Promise<number>;

export class ConvexRowCache {
  private readonly counts = new Map<string, { rows: number; at: number }>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly counter: ConvexRowCounter | undefined,
    private readonly everyMs: number,
    private readonly onError: (table: string, err: unknown) => void,
  ) {}

  /** The cached count (null when never counted). */
  get(table: string): number | null {
    return this.counts.get(table)?.rows ?? null;
  }

  /** Refreshes the stale counts of `tables` one at a time, once at a time; never rejects. */
  refresh(tables: readonly string[], nowMs: number): Promise<void> {
    if (!this.counter || this.running) return this.running ?? Promise.resolve();
    const counter = this.counter;
    const stale = tables.filter((t) => {
      const c = this.counts.get(t);
      return !c || nowMs - c.at >= this.everyMs;
    });
    if (stale.length === 0) return Promise.resolve();
    this.running = (async () => {
      for (const table of stale) {
        try {
          this.counts.set(table, { rows: await counter(table), at: nowMs });
        } catch (err) {
          this.onError(table, err);
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
