/**
 * Repair: re-emits the current Postgres rows of drifted keys as outbox events
 * (and deletes for keys Postgres no longer has), so the relay heals Convex
 * through the ordinary versioned apply. The events are written the way the
 * capture trigger writes them (same row image helpers, this transaction's id)
 * with operation key `repair:<uuid>`. Each event draws a fresh outbox seq, a
 * higher row version than anything Convex holds for the key from capture, so
 * it wins. (A document written into Convex by hand with a made-up, higher
 * pgVersion is beyond this: delete it there.)
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { qualifiedTable } from '../mapping/index.js';
import { ConfigError } from '../core/errors.js';
import type { TableConfig } from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { isValidKeyText, keyFilter } from './keys.js';

export interface RepairResult {
  table: string;
  operationKey: string;
  /** Keys whose Postgres row was re-emitted. */
  upserts: number;
  /** Keys absent from Postgres, emitted as deletes. */
  deletes: number;
}

const CHUNK_KEYS = 1000;

async function capturedColumns(pool: pg.Pool, table: string): Promise<{ keyColumns: string[]; textColumns: string[] }> {
  const { rows } = await pool.query<{ key_columns: string[]; text_columns: string[] }>(
    'SELECT key_columns, text_columns FROM tandem.captured_table WHERE table_name = $1',
    [table],
  );
  if (!rows[0]) throw new ConfigError('capture', `${table} is not captured: run \`tandem capture install\` first`);
  return { keyColumns: rows[0].key_columns, textColumns: rows[0].text_columns };
}

async function repairChunk(
  client: pg.PoolClient,
  table: TableConfig,
  columns: { keyColumns: string[]; textColumns: string[] },
  keys: string[],
  operationKey: string,
): Promise<{ upserts: number; deletes: number }> {
  const valid = keys.filter((k) => isValidKeyText(table, k));
  const present = new Set<string>();
  if (valid.length > 0) {
    const filter = keyFilter(table, valid, 5);
    const { rows } = await client.query<{ key: string }>(
      `INSERT INTO tandem.outbox (txid, table_name, key, op, "row", operation_key)
       SELECT pg_current_xact_id(), $1, tandem.row_key(r, $2::text[]), 'update', tandem.columns_as_text(r, $3::text[]), $4
         FROM (SELECT to_jsonb(t) AS r FROM ${qualifiedTable(table)} t WHERE ${filter.sql}) s
       RETURNING key`,
      [table.name, columns.keyColumns, columns.textColumns, operationKey, ...filter.params],
    );
    for (const row of rows) present.add(row.key);
  }
  const gone = keys.filter((k) => !present.has(k));
  if (gone.length > 0) {
    await client.query(
      `INSERT INTO tandem.outbox (txid, table_name, key, op, "row", operation_key)
       SELECT pg_current_xact_id(), $1, k, 'delete', NULL, $2 FROM unnest($3::text[]) AS k`,
      [table.name, operationKey, gone],
    );
  }
  return { upserts: present.size, deletes: gone.length };
}

/** Writes repair events for `keys` (canonical key texts) of one table, a transaction per 1,000 keys. */
export async function repairKeys(
  pool: pg.Pool,
  table: TableConfig,
  keys: readonly string[],
  actor = 'tandem',
): Promise<RepairResult> {
  const columns = await capturedColumns(pool, table.name);
  const operationKey = `repair:${crypto.randomUUID()}`;
  const unique = [...new Set(keys)];
  const result: RepairResult = { table: table.name, operationKey, upserts: 0, deletes: 0 };
  for (let i = 0; i < unique.length; i += CHUNK_KEYS) {
    const chunk = unique.slice(i, i + CHUNK_KEYS);
    const done = await withTransaction(pool, (client) => repairChunk(client, table, columns, chunk, operationKey));
    result.upserts += done.upserts;
    result.deletes += done.deletes;
  }
  if (unique.length > 0) {
    await pool.query(
      `INSERT INTO tandem.audit_log (actor, action, target, detail) VALUES ($1, 'parity.repair', $2, $3)`,
      [actor, table.name, JSON.stringify({ operationKey, upserts: result.upserts, deletes: result.deletes })],
    );
  }
  return result;
}
