/**
 * One table's columns as DDL and DML name them: for the code that writes
 * statements against a single table (an archive's CREATE TABLE, reverse
 * sync's row and key records) and needs no more than each column's type as
 * SQL spells it, rather than the whole schema's resolved types (readColumns).
 */
import type pg from 'pg';
import { withTransaction, type Queryable } from '../database.js';

export interface TableColumn {
  name: string;
  /** format_type: a valid SQL type name (schema-qualified when not on the search path). */
  type: string;
  /** NOT NULL on the column itself (a domain's own NOT NULL is not counted). */
  notNull: boolean;
  /** A generated column, stored or virtual: Postgres computes it, so no statement may set it. */
  generated: boolean;
  /** A virtual generated column (PostgreSQL 18+): not stored, so no archive or row image holds it. */
  virtual: boolean;
}

const TABLE_COLUMNS_SQL = `
SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, a.attgenerated::text AS generated
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/** The columns of `schema.table` in position order (none when there is no such table). */
export async function readTableColumns(
  db: Queryable,
  schema: string,
  table: string,
): Promise<TableColumn[]> {
  const { rows } = await db.query<{ name: string; type: string; not_null: boolean; generated: string }>(
    TABLE_COLUMNS_SQL,
    [schema, table],
  );
  return rows.map((r) => ({
    name: r.name,
    type: r.type,
    notNull: r.not_null,
    generated: r.generated !== '',
    virtual: r.generated === 'v',
  }));
}

/**
 * The same, with every type outside pg_catalog schema-qualified (enums,
 * domains): format_type qualifies what the search path does not show, so with
 * only pg_catalog on it the names do not depend on the reader's path.
 */
export function readQualifiedTableColumns(
  pool: pg.Pool,
  schema: string,
  table: string,
): Promise<TableColumn[]> {
  return withTransaction(pool, (tx) => readTableColumns(tx, schema, table), {
    settings: { search_path: 'pg_catalog' },
  });
}
