/**
 * The per-table figures of the control room's overview that are cheap to
 * read on every refresh: each is one grouped query over an index of the tool's
 * schema, whatever the number of tables, so the overview can be recomputed
 * every second. All of them come from Postgres, the shared truth, so every
 * process serving the control room shows the same numbers, whichever process
 * runs the relay.
 */
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface PendingStats {
  pending: number;
  /** Age of the oldest pending change at `now`; null when none is pending. */
  oldestPendingSeconds: number | null;
  /** Pending changes waiting for another attempt after a failed one. */
  retrying: number;
  /** Failed attempts of the pending changes whose latest attempt failed (at least one each). */
  failedAttempts: number;
}

/** Changes not yet applied, per table (index outbox_pending_seq). */
export async function pendingStats(db: Queryable, tool: ToolSchema, now: Date): Promise<Map<string, PendingStats>> {
  const { rows } = await db.query<{
    table_name: string;
    pending: number;
    oldest: number | null;
    retrying: number;
    failed: number;
  }>(
    `SELECT table_name, count(*)::int AS pending,
            greatest(0, extract(epoch FROM $1::timestamptz - min(captured_at)))::float8 AS oldest,
            count(*) FILTER (WHERE last_error IS NOT NULL)::int AS retrying,
            coalesce(sum(greatest(attempts, 1)) FILTER (WHERE last_error IS NOT NULL), 0)::int AS failed
       FROM ${tool.sql}.outbox WHERE status = 'pending' GROUP BY table_name`,
    [now],
  );
  return new Map(
    rows.map((r) => [
      r.table_name,
      {
        pending: r.pending,
        oldestPendingSeconds: r.oldest,
        retrying: r.retrying,
        failedAttempts: r.failed,
      },
    ]),
  );
}

export interface AppliedStats {
  /** Changes applied to Convex in the window. */
  applied: number;
  /** Failed attempts of the changes that finished in the window (applied after retries, or dead-lettered). */
  failedAttempts: number;
  /** Capture → applied in Convex, over the changes applied in the window (null when none). */
  latencyMs: { p50: number; p99: number } | null;
}

/**
 * What finished in (`from`, `to`], per table (index outbox_processed_at).
 * The latency is the mirror's: from the commit that captured a change to the
 * moment Convex acknowledged it, retries and queueing included, because that
 * is what decides how stale a Convex read can be.
 */
export async function appliedStats(
  db: Queryable, tool: ToolSchema,
  from: Date,
  to: Date,
): Promise<Map<string, AppliedStats>> {
  const { rows } = await db.query<{
    table_name: string;
    applied: number;
    failed: number;
    p50: number | null;
    p99: number | null;
  }>(
    `WITH finished AS (
       SELECT table_name, status, attempts,
              extract(epoch FROM processed_at - captured_at) * 1000 AS latency_ms
         FROM ${tool.sql}.outbox
        WHERE status <> 'pending' AND processed_at > $1 AND processed_at <= $2)
     SELECT table_name,
            count(*) FILTER (WHERE status = 'done')::int AS applied,
            coalesce(sum(attempts), 0)::int AS failed,
            (percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'done'))::float8 AS p50,
            (percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'done'))::float8 AS p99
       FROM finished GROUP BY table_name`,
    [from, to],
  );
  return new Map(
    rows.map((r) => [
      r.table_name,
      {
        applied: r.applied,
        failedAttempts: r.failed,
        latencyMs: r.p50 === null || r.p99 === null ? null : { p50: r.p50, p99: r.p99 },
      },
    ]),
  );
}

/**
 * Successful applies over all attempts that ended in the window: applied
 * changes, plus failed attempts (of changes that finished, and of pending
 * changes whose last attempt failed). Null when nothing was attempted.
 */
export function successRate(
  applied: AppliedStats | undefined,
  pending: PendingStats | undefined,
): number | null {
  const ok = applied?.applied ?? 0;
  const failed = (applied?.failedAttempts ?? 0) + (pending?.failedAttempts ?? 0);
  return ok + failed === 0 ? null : ok / (ok + failed);
}

/** Unresolved dead letters per table (index dead_letter_unresolved). */
export async function deadLetterCounts(db: Queryable, tool: ToolSchema): Promise<Map<string, number>> {
  const { rows } = await db.query<{ table_name: string; n: number }>(
    `SELECT table_name, count(*)::int AS n FROM ${tool.sql}.dead_letter WHERE resolved_at IS NULL GROUP BY table_name`,
  );
  return new Map(rows.map((r) => [r.table_name, r.n]));
}

export interface LatestParity {
  /** Drift keys the run found (pending keys left out: they were still on their way). */
  driftKeys: number;
  convexRows: number | null;
  finishedAt: Date;
}

/** The latest parity run of each table, as of `now` (index parity_run_table_time). */
export async function latestParity(db: Queryable, tool: ToolSchema, now: Date): Promise<Map<string, LatestParity>> {
  const { rows } = await db.query<{
    table_name: string;
    drift_count: number;
    convex_rows: string | null;
    finished_at: Date;
  }>(
    `SELECT DISTINCT ON (table_name) table_name, drift_count, convex_rows, finished_at
       FROM ${tool.sql}.parity_run WHERE kind = 'parity' AND finished_at <= $1
      ORDER BY table_name, finished_at DESC, id DESC`,
    [now],
  );
  return new Map(
    rows.map((r) => [
      r.table_name,
      {
        driftKeys: r.drift_count,
        convexRows: r.convex_rows === null ? null : Number(r.convex_rows),
        finishedAt: new Date(r.finished_at),
      },
    ]),
  );
}

/** Writes captured without the mirror helper's operation key, per table (live and pruned). */
export async function untrackedCounts(db: Queryable, tool: ToolSchema): Promise<Map<string, number>> {
  const { rows } = await db.query<{ table_name: string; count: string }>(
    `SELECT table_name, count::text FROM ${tool.sql}.untracked_writes`,
  );
  return new Map(rows.map((r) => [r.table_name, Number(r.count)]));
}

export interface FlagState {
  stage: string;
  percent: number;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** Each table's stored read stage with the latest change's author (tables never set are absent). */
export async function flagStates(db: Queryable, tool: ToolSchema): Promise<Map<string, FlagState>> {
  const { rows } = await db.query<{
    table_name: string;
    stage: string;
    percent: string;
    updated_at: Date;
    actor: string | null;
  }>(
    `SELECT f.table_name, f.stage, f.percent::text, f.updated_at,
            (SELECT h.actor FROM ${tool.sql}.read_flag_history h
              WHERE h.table_name = f.table_name ORDER BY h.id DESC LIMIT 1) AS actor
       FROM ${tool.sql}.read_flag f`,
  );
  return new Map(
    rows.map((r) => [
      r.table_name,
      {
        stage: r.stage,
        percent: Number(r.percent),
        updatedAt: new Date(r.updated_at),
        updatedBy: r.actor,
      },
    ]),
  );
}
