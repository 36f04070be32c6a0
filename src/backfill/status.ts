/** Where each table's backfill stands, for `tandem status` and the dashboard. */
import type { Queryable } from '../postgres/database.js';
import { requireSchema } from '../postgres/migrate.js';
import type { ToolSchema } from '../core/toolSchema.js';

/**
 * interrupted: recorded as running but silent for longer than STALE_RUN_MS, so
 * its process most likely died (a live run updates its record after every
 * call); a new `tandem backfill` resumes it.
 */
export type BackfillPhase = 'not started' | 'running' | 'interrupted' | 'stopped' | 'done';

export const STALE_RUN_MS = 2 * 60 * 1000;

export interface TableBackfillStatus {
  table: string;
  phase: BackfillPhase;
  /** Share of rows handled, 0-100; null before a total is known. */
  percent: number | null;
  rowsCopied: number;
  rowsSkipped: number;
  rowsRejected: number;
  rowsTotal: number | null;
  checkpoint: string[] | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  lastError: string | null;
}

interface Row {
  table_name: string;
  status: 'running' | 'stopped' | 'done';
  last_key: string[] | null;
  rows_copied: string;
  rows_skipped: string;
  rows_rejected: string;
  rows_total: string | null;
  started_at: Date;
  finished_at: Date | null;
  last_error: string | null;
  silent_ms: number;
}

function notStarted(table: string): TableBackfillStatus {
  return {
    table,
    phase: 'not started',
    percent: null,
    rowsCopied: 0,
    rowsSkipped: 0,
    rowsRejected: 0,
    rowsTotal: null,
    checkpoint: null,
    startedAt: null,
    finishedAt: null,
    lastError: null,
  };
}

function toStatus(r: Row): TableBackfillStatus {
  const copied = Number(r.rows_copied);
  const rejected = Number(r.rows_rejected);
  const total = r.rows_total === null ? null : Number(r.rows_total);
  const phase: BackfillPhase =
    r.status === 'running' && r.silent_ms > STALE_RUN_MS ? 'interrupted' : r.status;
  const percent =
    phase === 'done'
      ? 100
      : total === null
        ? null
        : total === 0
          ? 0
          : Math.min(100, Math.floor(((copied + rejected) / total) * 100));
  return {
    table: r.table_name,
    phase,
    percent,
    rowsCopied: copied,
    rowsSkipped: Number(r.rows_skipped),
    rowsRejected: rejected,
    rowsTotal: total,
    checkpoint: r.last_key,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    lastError: r.last_error,
  };
}

/** One entry per named table, in that order, then any other table a backfill has touched. */
export async function backfillStatus(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
): Promise<TableBackfillStatus[]> {
  await requireSchema(db, tool);
  const { rows } = await db.query<Row>(
    `SELECT table_name, status, last_key, rows_copied::text, rows_skipped::text, rows_rejected::text,
            rows_total::text, started_at, finished_at, last_error,
            (extract(epoch FROM now() - updated_at) * 1000)::float8 AS silent_ms
       FROM ${tool.sql}.backfill_state ORDER BY table_name`,
  );
  const byTable = new Map(rows.map((r) => [r.table_name, toStatus(r)]));
  const names = [...new Set([...tables, ...byTable.keys()])];
  return names.map((t) => byTable.get(t) ?? notStarted(t));
}
