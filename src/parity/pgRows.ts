/**
 * Reading Postgres for parity: every row of a table in canonical-key order
 * (COLLATE "C", Convex's order) through a server-side cursor, so memory stays
 * flat whatever the table size; rows by key; random samples. Each row is read
 * as the capture trigger's image of its configured columns (so every type
 * arrives in the form the apply path saw) and mapped and hashed exactly as the
 * apply path maps it.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { MappingError, canonicalHash, mapRow, qualifiedTable, rowKey, type TableConfig } from '../mapping/index.js';
import type { Queryable } from '../postgres/database.js';
import { columnsImageSql, textCarriedColumns } from '../capture/rowImageSql.js';
import { isValidKeyText, keyFilter, keyTextSql } from './keys.js';

export interface PgRow {
  key: string;
  hash: string;
  columns: Record<string, unknown>;
  /**
   * The row holds a value Convex cannot store (the mapping refused it): its
   * hash matches no Convex document, so it shows as drift with this reason.
   */
  unrepresentable?: Unrepresentable;
}

export interface Unrepresentable {
  column: string | null;
  rule: string;
  reason: string;
}

/** The row image of the table's configured columns, with the table aliased `t`. */
function imageSql(table: TableConfig): string {
  return `${columnsImageSql(
    't',
    table.columns.map((c) => c.name),
    textCarriedColumns(table.columns),
  )} AS row`;
}

const rowsOf = (rows: Array<{ row: Record<string, unknown> }>) => rows.map((r) => r.row);

/**
 * Maps and hashes one row. A row the mapping refuses does not stop the check:
 * it is drift by definition (Convex can hold no equal document; its change is
 * a dead letter), reported with the mapping's reason.
 */
export function hashPgRow(table: TableConfig, raw: Record<string, unknown>): PgRow {
  let mapped;
  try {
    mapped = mapRow(table, raw);
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    const key = rowKey(table, raw);
    return {
      key,
      // Hex like every row hash (digests sum them); no mapped row hashes this input.
      hash: crypto.createHash('sha256').update(`tandem:unrepresentable\u0000${key}\u0000${err.rule}`).digest('hex'),
      columns: {},
      unrepresentable: { column: err.column, rule: err.rule, reason: err.detail },
    };
  }
  return { key: mapped.key, hash: canonicalHash(table, mapped.columns), columns: mapped.columns };
}

/**
 * Yields batches of rows in key order from one REPEATABLE READ snapshot. The
 * transaction stays open while the caller works on a batch (bisecting a range
 * with Convex), which is what keeps the order stable.
 */
export async function* streamRowsInKeyOrder(
  pool: pg.Pool,
  table: TableConfig,
  batchRows = 2000,
): AsyncGenerator<PgRow[]> {
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(
      `DECLARE tandem_parity_rows NO SCROLL CURSOR FOR
         SELECT ${imageSql(table)} FROM ${qualifiedTable(table)} t
          ORDER BY (${keyTextSql(table)}) COLLATE "C"`,
    );
    for (;;) {
      const { rows } = await client.query<{ row: Record<string, unknown> }>(
        `FETCH ${Math.max(1, Math.floor(batchRows))} FROM tandem_parity_rows`,
      );
      if (rows.length === 0) break;
      yield rowsOf(rows).map((raw) => hashPgRow(table, raw));
    }
    await client.query('COMMIT');
  } catch (err) {
    failed = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A consumer that stops early leaves the transaction open: end it before reuse.
    if (!failed) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

export async function pgRowsByKeys(db: Queryable, table: TableConfig, keys: readonly string[]): Promise<Map<string, PgRow>> {
  const found = new Map<string, PgRow>();
  // A key text that cannot be this table's key (e.g. "x" for an integer key) has no row.
  keys = keys.filter((k) => isValidKeyText(table, k));
  for (let i = 0; i < keys.length; i += 1000) {
    const filter = keyFilter(table, keys.slice(i, i + 1000));
    const { rows } = await db.query<{ row: Record<string, unknown> }>(
      `SELECT ${imageSql(table)} FROM ${qualifiedTable(table)} t WHERE ${filter.sql}`,
      filter.params,
    );
    for (const raw of rowsOf(rows)) {
      const row = hashPgRow(table, raw);
      found.set(row.key, row);
    }
  }
  return found;
}

export async function countPgRows(db: Queryable, table: TableConfig): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedTable(table)}`);
  return Number(rows[0]!.n);
}

/** `size` rows drawn uniformly at random (the whole table when it has no more). */
export async function samplePgRows(db: Queryable, table: TableConfig, size: number): Promise<PgRow[]> {
  const { rows } = await db.query<{ row: Record<string, unknown> }>(
    `SELECT ${imageSql(table)} FROM ${qualifiedTable(table)} t ORDER BY random() LIMIT $1`,
    [size],
  );
  return rowsOf(rows).map((raw) => hashPgRow(table, raw));
}
