/**
 * The backfill's record per table in tandem.backfill_state: when it started
 * and finished, how many rows Convex acknowledged, and the checkpoint (the key
 * of the last acknowledged row) a resumed run continues after.
 */
import type pg from 'pg';
import { ConflictError } from '../core/errors.js';
import { withTransaction, type Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type BackfillStatus = 'running' | 'stopped' | 'done';

export interface BackfillState {
  table: string;
  status: BackfillStatus;
  keyColumns: string[];
  /** Text of each key column of the last acknowledged row; null before the first batch. */
  lastKey: string[] | null;
  rowsCopied: number;
  rowsSkipped: number;
  rowsRejected: number;
  rowsTotal: number | null;
  startedAt: Date;
  finishedAt: Date | null;
  lastError: string | null;
  updatedAt: Date;
}

/** A row Convex cannot hold, recorded instead of copied. */
export interface RejectedRow {
  key: string;
  version: number;
  rule: string;
  column: string | null;
  reason: string;
}

/** What one acknowledged call (or a run of rejected rows) adds to a table's record. */
export interface CheckpointDelta {
  lastKey: string[];
  copied: number;
  skipped: number;
  rejected: RejectedRow[];
}

interface StateRow {
  table_name: string;
  status: BackfillStatus;
  key_columns: string[];
  last_key: string[] | null;
  rows_copied: string;
  rows_skipped: string;
  rows_rejected: string;
  rows_total: string | null;
  started_at: Date;
  finished_at: Date | null;
  last_error: string | null;
  updated_at: Date;
}

const COLUMNS = `table_name, status, key_columns, last_key, rows_copied::text, rows_skipped::text,
  rows_rejected::text, rows_total::text, started_at, finished_at, last_error, updated_at`;

function toState(r: StateRow): BackfillState {
  return {
    table: r.table_name,
    status: r.status,
    keyColumns: r.key_columns,
    lastKey: r.last_key,
    rowsCopied: Number(r.rows_copied),
    rowsSkipped: Number(r.rows_skipped),
    rowsRejected: Number(r.rows_rejected),
    rowsTotal: r.rows_total === null ? null : Number(r.rows_total),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    lastError: r.last_error,
    updatedAt: r.updated_at,
  };
}

export async function readBackfillStates(db: Queryable, tool: ToolSchema): Promise<Map<string, BackfillState>> {
  const { rows } = await db.query<StateRow>(
    `SELECT ${COLUMNS} FROM ${tool.sql}.backfill_state ORDER BY table_name`,
  );
  return new Map(rows.map((r) => [r.table_name, toState(r)]));
}

export async function readBackfillState(
  db: Queryable, tool: ToolSchema,
  table: string,
): Promise<BackfillState | null> {
  const { rows } = await db.query<StateRow>(
    `SELECT ${COLUMNS} FROM ${tool.sql}.backfill_state WHERE table_name = $1`,
    [table],
  );
  return rows[0] ? toState(rows[0]) : null;
}

/** Forgets a table's checkpoint, counts and rejected rows: its next run starts from the first key. */
export async function clearBackfillState(pool: pg.Pool, tool: ToolSchema, table: string): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query(`DELETE FROM ${tool.sql}.backfill_rejected WHERE table_name = $1`, [table]);
    await tx.query(`DELETE FROM ${tool.sql}.backfill_state WHERE table_name = $1`, [table]);
  });
}

/**
 * Marks a table's run as started (or resumed) and returns its record. A
 * checkpoint taken under another primary key cannot be resumed.
 */
export async function beginTable(
  pool: pg.Pool, tool: ToolSchema,
  table: string,
  keyColumns: string[],
): Promise<BackfillState> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<StateRow>(
      `INSERT INTO ${tool.sql}.backfill_state AS s (table_name, status, key_columns)
       VALUES ($1, 'running', $2::text[])
       ON CONFLICT (table_name) DO UPDATE SET status = 'running', last_error = NULL, updated_at = now()
       RETURNING ${COLUMNS.replace('table_name', 's.table_name')}`,
      [table, keyColumns],
    );
    const state = toState(rows[0]!);
    const same =
      state.keyColumns.length === keyColumns.length &&
      state.keyColumns.every((c, i) => c === keyColumns[i]);
    if (!same)
      throw new ConflictError(
        `backfill checkpoint of ${table} was taken with primary key (${state.keyColumns.join(', ')}), ` +
          `the table's key is now (${keyColumns.join(', ')}); run with --restart`,
        'restart',
      );
    return state;
  });
}

export async function setRowsTotal(db: Queryable, tool: ToolSchema, table: string, total: number): Promise<void> {
  await db.query(
    `UPDATE ${tool.sql}.backfill_state SET rows_total = $2, updated_at = now() WHERE table_name = $1`,
    [table, total],
  );
}

/** Advances the checkpoint and counts, recording rejected rows in the same transaction. */
export async function saveCheckpoint(
  pool: pg.Pool, tool: ToolSchema,
  table: string,
  delta: CheckpointDelta,
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    if (delta.rejected.length > 0) {
      await tx.query(
        `INSERT INTO ${tool.sql}.backfill_rejected (table_name, key, version, rule, column_name, reason)
         SELECT $1, r.key, r.version, r.rule, r.column_name, r.reason
           FROM jsonb_to_recordset($2::jsonb) AS r(key text, version bigint, rule text, column_name text, reason text)`,
        [table, JSON.stringify(delta.rejected.map((r) => ({ ...r, column_name: r.column })))],
      );
    }
    await tx.query(
      `UPDATE ${tool.sql}.backfill_state
          SET last_key = $2::jsonb, rows_copied = rows_copied + $3, rows_skipped = rows_skipped + $4,
              rows_rejected = rows_rejected + $5, updated_at = now()
        WHERE table_name = $1`,
      [table, JSON.stringify(delta.lastKey), delta.copied, delta.skipped, delta.rejected.length],
    );
  });
}

export async function finishTable(db: Queryable, tool: ToolSchema, table: string): Promise<void> {
  await db.query(
    `UPDATE ${tool.sql}.backfill_state SET status = 'done', finished_at = now(), last_error = NULL, updated_at = now()
      WHERE table_name = $1`,
    [table],
  );
}

/** A run that ended early (interrupted, or failed with `error`): resumable from its checkpoint. */
export async function stopTable(db: Queryable, tool: ToolSchema, table: string, error: string | null): Promise<void> {
  await db.query(
    `UPDATE ${tool.sql}.backfill_state SET status = 'stopped', last_error = $2, updated_at = now() WHERE table_name = $1`,
    [table, error],
  );
}
