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
import { captureSpec, readTableCatalog } from '../capture/catalog.js';
import { rowImageSql, type RowImageColumns } from '../capture/rowImageSql.js';
import { isValidKeyText, keyFilter, keyTextSql } from './keys.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface RepairResult {
  table: string;
  operationKey: string;
  /** Keys whose Postgres row was re-emitted. */
  upserts: number;
  /** Keys absent from Postgres, emitted as deletes. */
  deletes: number;
}

const CHUNK_KEYS = 1000;

/** The table's row image as its capture trigger builds it, from the live catalog. */
async function capturedImage(pool: pg.Pool, tool: ToolSchema, table: TableConfig): Promise<RowImageColumns> {
  const { rows } = await pool.query(`SELECT 1 FROM ${tool.sql}.captured_table WHERE table_name = $1`, [table.name]);
  const catalog = (
    await readTableCatalog(pool, [table.name], {
      tool,
      schema: table.schema,
      keys: { [table.name]: table.primaryKey },
    })
  ).get(table.name);
  if (!rows[0] || !catalog)
    throw new ConfigError('capture', `${table.name} is not captured: run \`tandem capture install\` first`);
  const spec = captureSpec(catalog, tool, []);
  return {
    scalarText: spec.textColumns,
    nestedText: spec.textArrayColumns,
    leaveOut: spec.virtualColumns,
  };
}

async function repairChunk(
  client: pg.PoolClient, tool: ToolSchema,
  table: TableConfig,
  image: RowImageColumns,
  keys: string[],
  operationKey: string,
): Promise<{ upserts: number; deletes: number }> {
  const valid = keys.filter((k) => isValidKeyText(table, k));
  const present = new Set<string>();
  if (valid.length > 0) {
    const filter = keyFilter(table, valid, 3);
    const { rows } = await client.query<{ key: string }>(
      `INSERT INTO ${tool.sql}.outbox (txid, table_name, key, op, "row", operation_key)
       SELECT pg_current_xact_id(), $1, ${keyTextSql(table)}, 'update', ${rowImageSql('t', image)}, $2
         FROM ${qualifiedTable(table)} t WHERE ${filter.sql}
       RETURNING key`,
      [table.name, operationKey, ...filter.params],
    );
    for (const row of rows) present.add(row.key);
  }
  const gone = keys.filter((k) => !present.has(k));
  if (gone.length > 0) {
    await client.query(
      `INSERT INTO ${tool.sql}.outbox (txid, table_name, key, op, "row", operation_key)
       SELECT pg_current_xact_id(), $1, k, 'delete', NULL, $2 FROM unnest($3::text[]) AS k`,
      [table.name, operationKey, gone],
    );
  }
  return { upserts: present.size, deletes: gone.length };
}

/** Writes repair events for `keys` (canonical key texts) of one table, a transaction per 1,000 keys. */
export async function repairKeys(
  pool: pg.Pool, tool: ToolSchema,
  table: TableConfig,
  keys: readonly string[],
  actor = 'tandem',
): Promise<RepairResult> {
  const image = await capturedImage(pool, tool, table);
  const operationKey = `repair:${crypto.randomUUID()}`;
  const unique = [...new Set(keys)];
  const result: RepairResult = { table: table.name, operationKey, upserts: 0, deletes: 0 };
  for (let i = 0; i < unique.length; i += CHUNK_KEYS) {
    const chunk = unique.slice(i, i + CHUNK_KEYS);
    const done = await withTransaction(pool, (client) => repairChunk(client, tool, table, image, chunk, operationKey));
    result.upserts += done.upserts;
    result.deletes += done.deletes;
  }
  if (unique.length > 0) {
    await pool.query(
      `INSERT INTO ${tool.sql}.audit_log (actor, action, target, detail) VALUES ($1, 'parity.repair', $2, $3)`,
      [actor, table.name, JSON.stringify({ operationKey, upserts: result.upserts, deletes: result.deletes })],
    );
  }
  return result;
}
