/**
 * The sequences that fill key columns (serial or identity): where ids for
 * rows made outside Postgres are reserved from (src/keys), and what dropping
 * a table would take with it (src/phases/decommission.ts).
 */
import type { Queryable } from '../database.js';

export interface SequenceFacts {
  /** Schema-qualified, quoted as needed (pg_get_serial_sequence's form; a valid regclass text). */
  name: string;
  /** pg_sequences.increment_by as text, or null when pg_sequences does not list it. */
  increment: string | null;
  cycle: boolean | null;
}

/** Whether the column exists and, when it does, the sequence filling it (null: none). */
export type ColumnSequence = { exists: false } | { exists: true; sequence: SequenceFacts | null };

/** The sequence behind `schema.table.column`. */
export async function readColumnSequence(
  db: Queryable,
  schema: string,
  table: string,
  column: string,
): Promise<ColumnSequence> {
  const exists = await db.query(
    `SELECT 1 FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND NOT a.attisdropped`,
    [schema, table, column],
  );
  // Asked only of a column that exists: pg_get_serial_sequence raises on a missing one.
  if (!exists.rowCount) return { exists: false };
  const { rows } = await db.query<{ name: string | null; increment: string | null; cycle: boolean | null }>(
    `SELECT s.seq AS name, ps.increment_by::text AS increment, ps.cycle
       FROM (SELECT pg_catalog.pg_get_serial_sequence(format('%I.%I', $1::text, $2::text), $3) AS seq) s
       LEFT JOIN pg_catalog.pg_sequences ps ON format('%I.%I', ps.schemaname, ps.sequencename) = s.seq`,
    [schema, table, column],
  );
  const row = rows[0];
  return { exists: true, sequence: row?.name ? { name: row.name, increment: row.increment, cycle: row.cycle } : null };
}

/** Those of `columns` (existing columns of `schema.table`) that a sequence fills, in the order given. */
export async function readColumnsFilledBySequence(
  db: Queryable,
  schema: string,
  table: string,
  columns: readonly string[],
): Promise<Array<{ column: string; sequence: string }>> {
  const { rows } = await db.query<{ column: string; sequence: string }>(
    `SELECT k.col AS column, s.seq AS sequence
       FROM unnest($3::text[]) WITH ORDINALITY AS k(col, ord)
      CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_serial_sequence(format('%I.%I', $1::text, $2::text), k.col) AS seq) s
      WHERE s.seq IS NOT NULL
      ORDER BY k.ord`,
    [schema, table, [...columns]],
  );
  return rows;
}
