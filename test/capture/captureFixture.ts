/**
 * One database per test file: the story-site schema, Tandem's schema, and a
 * composite-key table with int8/numeric columns. resetCapture() brings it back
 * to the app fixture with no trigger installed and an empty outbox.
 */
import type pg from 'pg';
import { uninstallCapture } from '../../src/capture/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { seedFixture } from '../support/appFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export const PAIR_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS capture_pair (
    lang text NOT NULL,
    n int NOT NULL,
    amount bigint,
    price numeric(20, 4),
    counts int8[],
    note json,
    PRIMARY KEY (lang, n)
  )`;

export async function prepareCaptureDatabase(pool: pg.Pool): Promise<void> {
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await seedFixture(pool);
  await pool.query(PAIR_TABLE_SQL);
}

export async function resetCapture(pool: pg.Pool): Promise<void> {
  await uninstallCapture(pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' });
  await seedFixture(pool);
  await pool.query(`
    TRUNCATE capture_pair;
    TRUNCATE tandem.outbox, tandem.untracked_write, tandem.captured_table, tandem.audit_log RESTART IDENTITY;`);
}

export interface OutboxEvent {
  seq: number;
  txid: string;
  table: string;
  key: string;
  op: string;
  row: Record<string, unknown> | null;
  operationKey: string | null;
  /** Only present when the trigger left unchanged heavy columns out of the image. */
  unchanged?: string[];
}

export async function outboxEvents(pool: pg.Pool): Promise<OutboxEvent[]> {
  const { rows } = await pool.query(
    `SELECT seq, txid::text AS txid, table_name, key, op, "row", operation_key, unchanged FROM tandem.outbox ORDER BY seq`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    txid: r.txid,
    table: r.table_name,
    key: r.key,
    op: r.op,
    row: r.row,
    operationKey: r.operation_key,
    ...(r.unchanged ? { unchanged: r.unchanged } : {}),
  }));
}

/** The events without seq and txid, for exact comparisons. */
export function shapes(events: OutboxEvent[]): Array<Omit<OutboxEvent, 'seq' | 'txid'>> {
  return events.map(({ seq: _seq, txid: _txid, ...rest }) => rest);
}
