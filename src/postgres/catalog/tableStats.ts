/**
 * Row counts and on-disk sizes for the plan. An exact count(*) reads the whole
 * table, which is fine for lookup tables but not for an event table with
 * millions of rows; so the planner's estimate (pg_class.reltuples, kept by
 * ANALYZE and autovacuum) is used once it says the table is large, and the
 * exact count otherwise (also when the table was never analyzed: reltuples -1).
 */
import pg from 'pg';
import type { Queryable } from '../database.js';

export interface TableStats {
  rows: number;
  /** True when rows is the planner's estimate rather than count(*). */
  rowsEstimated: boolean;
  /** pg_total_relation_size: heap, TOAST and indexes (partitions summed). */
  bytes: number;
}

/** Tables whose estimate is at or above this many rows are not counted exactly. */
export const EXACT_COUNT_BELOW = 100_000;

const STATS_SQL = `
SELECT c.relname AS table, c.reltuples::float8 AS estimate,
       (CASE WHEN c.relkind = 'p'
             THEN (SELECT coalesce(sum(pg_catalog.pg_total_relation_size(p.relid)), 0)
                     FROM pg_catalog.pg_partition_tree(c.oid) p)
             ELSE pg_catalog.pg_total_relation_size(c.oid) END)::text AS bytes
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`;

export interface TableStatsOptions {
  exactCountBelow?: number;
}

/** Stats for the named tables of the schema (tables that do not exist are left out). */
export async function readTableStats(
  db: Queryable,
  schema: string,
  tables: readonly string[],
  options: TableStatsOptions = {},
): Promise<Map<string, TableStats>> {
  const threshold = options.exactCountBelow ?? EXACT_COUNT_BELOW;
  const { rows } = await db.query<{ table: string; estimate: number; bytes: string }>(STATS_SQL, [
    schema,
    tables,
  ]);
  const stats = new Map<string, TableStats>();
  for (const row of rows) {
    const bytes = Number(row.bytes);
    if (row.estimate >= threshold) {
      stats.set(row.table, { rows: Math.round(row.estimate), rowsEstimated: true, bytes });
      continue;
    }
    const qualified = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(row.table)}`;
    const counted = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
    stats.set(row.table, { rows: Number(counted.rows[0]!.n), rowsEstimated: false, bytes });
  }
  return stats;
}
