/**
 * One page of a table in primary-key order (keyset pagination), each row with
 * its current row version, read in a single statement so row and version come
 * from one snapshot. Why that makes the copy safe is in docs/backfill.md.
 *
 * The row image and key text come from the same SQL expressions the capture
 * trigger functions are generated with (src/capture/rowImageSql.ts), so a
 * backfilled row maps exactly like a captured one and its key text matches the
 * outbox's.
 */
import pg from 'pg';
import { qualifiedTable } from '../mapping/index.js';
import { keyTextSql, rowImageSql, type RowImageColumns } from '../capture/rowImageSql.js';
import type { TableCatalog } from '../capture/catalog.js';
import type { Queryable } from '../postgres/database.js';
import { readRowEstimate } from '../postgres/catalog/index.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** What the page query needs to know about a table (from the live catalog, like the trigger). */
export interface TableShape {
  /** The application schema holding the table. */
  schema: string;
  table: string;
  keyColumns: string[];
  /** Key columns of type timestamptz (key text in UTC, as in the trigger). */
  utcKeyColumns: string[];
  /** Columns carried as text, as in the trigger's row image (arrays included). */
  textColumns: string[];
  /** The array columns among textColumns. */
  textArrayColumns: string[];
  /** Virtual generated columns, left out of the image as the trigger leaves them out. */
  virtualColumns: string[];
}

export interface PageRow {
  /** Canonical key text (the outbox's `key`). */
  key: string;
  /** Text of each primary-key column, in key order: the keyset cursor. */
  keyValues: string[];
  /** Newest outbox seq of this key when the page was read; 0 when it has none. */
  version: number;
  /** The row as the capture trigger would have recorded it. */
  row: Record<string, unknown>;
}

interface RawRow {
  key: string;
  key_values: string[];
  version: string;
  row: Record<string, unknown>;
}

/** The page query's shape of a table as the capture catalog reads it (the trigger is made from the same facts). */
export function tableShape(schema: string, catalog: TableCatalog): TableShape {
  return {
    schema,
    table: catalog.table,
    keyColumns: catalog.keyColumns,
    utcKeyColumns: catalog.keyColumns.filter((_, i) => catalog.keyTypes[i] === 'timestamptz'),
    textColumns: catalog.textColumns,
    textArrayColumns: catalog.textArrayColumns,
    virtualColumns: catalog.virtualColumns,
  };
}

const queries = new Map<string, string>();

function imageColumns(shape: TableShape): RowImageColumns {
  return {
    scalarText: shape.textColumns.filter((c) => !shape.textArrayColumns.includes(c)),
    nestedText: shape.textArrayColumns,
    leaveOut: shape.virtualColumns,
  };
}

function pageSql(shape: TableShape, tool: ToolSchema, withCursor: boolean): string {
  const id = JSON.stringify([shape, withCursor]);
  const cached = queries.get(id);
  if (cached) return cached;
  const table = qualifiedTable({ schema: shape.schema, name: shape.table });
  const columns = shape.keyColumns.map((c) => pg.escapeIdentifier(c));
  const pageKeys = columns.map((c) => `p.${c}`);
  const cursor = shape.keyColumns.map((_, i) => `$${i + 3}`);
  // Parameters: $1 table name, $2 page size, $3.. cursor.
  // The page's keys are chosen first, from the primary key alone, and each row
  // is then fetched by its key (LATERAL forces one index probe per key). With
  // the row image in the same SELECT as ORDER BY … LIMIT, a planner with stale
  // statistics chose a sequential scan and sorted the whole table's detoasted
  // rows for every page (measured: 48-row pages of 150 KB stories went from
  // 2.4 to 39 ms per row; `bench/backfill.ts`).
  const sql = `
SELECT k.key, ${rowImageSql('t', imageColumns(shape))} AS row,
       coalesce((SELECT max(o.seq) FROM ${tool.sql}.outbox o
                  WHERE o.table_name = $1::text AND o.key = k.key), 0)::text AS version,
       ARRAY[${pageKeys.map((k) => `${k}::text`).join(', ')}] AS key_values
  FROM (SELECT ${columns.join(', ')} FROM ${table}
         ${withCursor ? `WHERE (${columns.join(', ')}) > (${cursor.join(', ')})` : ''}
         ORDER BY ${columns.join(', ')}
         LIMIT $2::int) p
 CROSS JOIN LATERAL (SELECT * FROM ${table} r
                      WHERE ${columns.map((c) => `r.${c} = p.${c}`).join(' AND ')}) t
 CROSS JOIN LATERAL (SELECT ${keyTextSql('t', shape.keyColumns, shape.utcKeyColumns)} AS key) k
 ORDER BY ${pageKeys.join(', ')}`;
  queries.set(id, sql);
  return sql;
}

/** Up to `limit` rows with a key after `after` (from the start when null), in key order. */
export async function readPage(
  db: Queryable, tool: ToolSchema,
  shape: TableShape,
  after: readonly string[] | null,
  limit: number,
): Promise<PageRow[]> {
  if (after && after.length !== shape.keyColumns.length)
    throw new Error(
      `checkpoint of ${shape.table} has ${after.length} key values, the key has ${shape.keyColumns.length} columns`,
    );
  const params: unknown[] = [shape.table, limit, ...(after ?? [])];
  const { rows } = await db.query<RawRow>(pageSql(shape, tool, after !== null), params);
  return rows.map((r) => ({
    key: r.key,
    keyValues: r.key_values,
    version: Number(r.version),
    row: r.row,
  }));
}

/**
 * Rows left to copy after `after`: exact for ordinary tables; for big ones
 * (statistics say a million rows or more) the planner's estimate less what is
 * already copied is enough for a percentage, and avoids a full count.
 */
export async function countRemaining(
  db: Queryable,
  shape: TableShape,
  after: readonly string[] | null,
  alreadyCopied: number,
): Promise<number> {
  const estimate = await readRowEstimate(db, shape.schema, shape.table);
  if (estimate >= 1_000_000) return Math.max(0, Math.round(estimate) - alreadyCopied);
  const keys = shape.keyColumns.map((c) => `t.${pg.escapeIdentifier(c)}`);
  const where = after
    ? `WHERE (${keys.join(', ')}) > (${after.map((_, i) => `$${i + 1}`).join(', ')})`
    : '';
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${qualifiedTable({ schema: shape.schema, name: shape.table })} t ${where}`,
    after ? [...after] : [],
  );
  return Number(rows[0]!.n);
}
