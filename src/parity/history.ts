/**
 * Parity and invariant history (tables tandem.parity_run and
 * tandem.parity_drift, migration 0004) and the two figures the plan's gate
 * needs: the streak of consecutive green days and the unresolved drift.
 * Definitions (docs/parity.md):
 * - A UTC calendar day is green when at least one parity run finished on it
 *   and every parity run that finished on it was clean.
 * - Unresolved drift: for each table, its latest parity run decides; if it was
 *   not clean, its findings are unresolved. A clean count-mode run cannot show
 *   keys clean, so then the latest sample/full run decides for the keys.
 * - The streak counts green days back from today (from yesterday while today
 *   has no run yet); a day without runs, or with a dirty run, ends it; any
 *   unresolved drift makes it 0.
 * `now` is a parameter everywhere so tests (and gate drills) can move time.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { withTransaction, type Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type RunKind = 'parity' | 'invariants';
export type DriftRecordKind = 'missing' | 'extra' | 'different' | 'pending' | 'violation';

export interface RunRecord {
  kind: RunKind;
  table: string;
  mode: string;
  /** Invariants only: the suite and the invariant's identifier in it. */
  suite?: string;
  invariant?: string;
  startedAt: Date;
  finishedAt: Date;
  pgRows?: number | null;
  convexRows?: number | null;
  compared: number;
  clean: boolean;
  note?: string;
  drift: Array<{ kind: DriftRecordKind; key: string; detail?: string }>;
}

export interface StoredRun {
  id: number;
  batchId: string;
  kind: RunKind;
  table: string;
  mode: string;
  suite: string | null;
  invariant: string | null;
  startedAt: Date;
  finishedAt: Date;
  pgRows: number | null;
  convexRows: number | null;
  compared: number;
  driftCount: number;
  pendingCount: number;
  clean: boolean;
  note: string | null;
}

/** Stores the runs of one command invocation (one batch id) in one transaction. Returns their ids. */
export async function recordRuns(pool: pg.Pool, tool: ToolSchema, runs: readonly RunRecord[]): Promise<number[]> {
  const batchId = crypto.randomUUID();
  return withTransaction(pool, async (client) => {
    const ids: number[] = [];
    for (const run of runs) {
      const drift = run.drift.filter((d) => d.kind !== 'pending').length;
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO ${tool.sql}.parity_run (batch_id, kind, table_name, mode, suite, invariant, started_at, finished_at,
                                        pg_rows, convex_rows, rows_compared, drift_count, pending_count, clean, note)
         VALUES ($1, $2, $3, $4, $15, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
        [batchId, run.kind, run.table, run.mode, run.invariant ?? null, run.startedAt, run.finishedAt,
          run.pgRows ?? null, run.convexRows ?? null, run.compared, drift, run.drift.length - drift, run.clean, run.note ?? null, run.suite ?? null],
      );
      const id = Number(rows[0]!.id);
      ids.push(id);
      if (run.drift.length > 0) {
        await client.query(
          `INSERT INTO ${tool.sql}.parity_drift (run_id, kind, key, detail)
           SELECT $1, k, key, d FROM unnest($2::text[], $3::text[], $4::text[]) AS u(k, key, d)`,
          [id, run.drift.map((d) => d.kind), run.drift.map((d) => d.key), run.drift.map((d) => d.detail ?? null)],
        );
      }
    }
    return ids;
  });
}

const RUN_COLUMNS = `id, batch_id, kind, table_name, mode, suite, invariant, started_at, finished_at, pg_rows, convex_rows,
                     rows_compared, drift_count, pending_count, clean, note`;

function toRun(r: Record<string, unknown>): StoredRun {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    batchId: String(r.batch_id),
    kind: r.kind as RunKind,
    table: String(r.table_name),
    mode: String(r.mode),
    suite: r.suite === null || r.suite === undefined ? null : String(r.suite),
    invariant: r.invariant === null || r.invariant === undefined ? null : String(r.invariant),
    startedAt: new Date(r.started_at as string),
    finishedAt: new Date(r.finished_at as string),
    pgRows: num(r.pg_rows),
    convexRows: num(r.convex_rows),
    compared: Number(r.rows_compared),
    driftCount: Number(r.drift_count),
    pendingCount: Number(r.pending_count),
    clean: Boolean(r.clean),
    note: (r.note as string | null) ?? null,
  };
}

export interface ListRunsOptions {
  table?: string;
  kind?: RunKind;
  limit?: number;
  now?: Date;
}

/** Runs, newest first. */
export async function listRuns(db: Queryable, tool: ToolSchema, options: ListRunsOptions = {}): Promise<StoredRun[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${RUN_COLUMNS} FROM ${tool.sql}.parity_run
      WHERE ($1::text IS NULL OR table_name = $1) AND ($2::text IS NULL OR kind = $2) AND finished_at <= $3
      ORDER BY finished_at DESC, id DESC LIMIT $4`,
    [options.table ?? null, options.kind ?? null, options.now ?? new Date(), options.limit ?? 20],
  );
  return rows.map(toRun);
}

export async function runDrift(
  db: Queryable, tool: ToolSchema,
  runId: number,
): Promise<Array<{ kind: DriftRecordKind; key: string; detail: string | null }>> {
  const { rows } = await db.query<{ kind: DriftRecordKind; key: string; detail: string | null }>(
    `SELECT kind, key, detail FROM ${tool.sql}.parity_drift WHERE run_id = $1 ORDER BY id`,
    [runId],
  );
  return rows;
}

/** Drift keys of each table's latest parity run (the alert rules and the drift gauge read it). */
export async function latestParityDrift(pool: Queryable, tool: ToolSchema, tables?: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ table_name: string; drift: number }>(
    `SELECT DISTINCT ON (table_name) table_name, drift_count AS drift FROM ${tool.sql}.parity_run
      WHERE kind = 'parity' AND ($1::text[] IS NULL OR table_name = ANY($1::text[]))
      ORDER BY table_name, finished_at DESC, id DESC`,
    [tables ? [...tables] : null],
  );
  return new Map(rows.map((r) => [r.table_name, r.drift]));
}
