/**
 * The planner's row estimates (pg_class.reltuples, kept by ANALYZE and
 * autovacuum): what lets a progress figure or an overview avoid a count(*)
 * over a large table. -1 means never analyzed.
 */
import type { Queryable } from '../database.js';

/** reltuples of `schema.table` itself (a partitioned parent's own figure), or -1 when unknown or absent. */
export async function readRowEstimate(db: Queryable, schema: string, table: string): Promise<number> {
  const { rows } = await db.query<{ estimate: number }>(
    `SELECT c.reltuples::float8 AS estimate FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  return rows[0]?.estimate ?? -1;
}

export interface TreeRowEstimate {
  /** Sum of the non-negative reltuples over the table and all its partitions. */
  estimate: number;
  /** Whether any of them was ever analyzed (reltuples >= 0). */
  known: boolean;
}

/** The estimate over `schema.table` and its partition tree, or null when there is no such relation. */
export async function readTreeRowEstimate(
  db: Queryable,
  schema: string,
  table: string,
): Promise<TreeRowEstimate | null> {
  const { rows } = await db.query<{ estimate: number | null; known: boolean | null }>(
    // pg_partition_tree lists a partitioned table's tree; a plain table is not in it, so it is added.
    `WITH rel AS (SELECT c.oid FROM pg_catalog.pg_class c
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = $1 AND c.relname = $2),
          parts AS (SELECT oid AS relid FROM rel
                    UNION SELECT p.relid FROM rel, pg_catalog.pg_partition_tree(rel.oid) p)
     SELECT sum(greatest(c.reltuples, 0))::float8 AS estimate, bool_or(c.reltuples >= 0) AS known
       FROM parts JOIN pg_catalog.pg_class c ON c.oid = parts.relid`,
    [schema, table],
  );
  const row = rows[0];
  if (!row || row.estimate === null) return null;
  return { estimate: row.estimate, known: row.known === true };
}
