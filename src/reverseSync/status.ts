/** What `tandem reverse-sync status` shows: the cursor, what waits in Convex, dead letters. */
import type pg from 'pg';
import type { ChangeLogSource } from './changeLog.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface ReverseDeadLetter {
  id: number;
  seq: number;
  table: string;
  key: string;
  op: string;
  version: number;
  reason: string;
  column: string | null;
  attempts: number;
  deadAt: Date;
  /**
   * The document is kept as its JSON text (column doc_text) because jsonb
   * refused it (a NUL in a string, a lone surrogate); JSON.parse gives it back.
   */
  docAsText: boolean;
  /**
   * The newer Convex version of its key that Postgres applied since (the
   * cursor moved past the dead letter, so later changes of the key went
   * ahead of it), or null when none did.
   */
  overtakenBy: number | null;
}

export interface ReverseSyncStatus {
  /** The last change-log seq committed in Postgres. */
  cursor: number;
  /** Changes Postgres has applied since the schema was created. */
  applied: number;
  updatedAt: Date;
  /** Entries waiting in Convex (at least this many when `capped`). */
  pending: number;
  capped: boolean;
  /** Seconds since the oldest waiting entry was logged (0 when none). */
  lagSeconds: number;
  deadLetters: ReverseDeadLetter[];
}

export async function listReverseDeadLetters(
  pool: pg.Pool, tool: ToolSchema,
  limit = 100,
): Promise<ReverseDeadLetter[]> {
  const { rows } = await pool.query<{
    id: string;
    seq: string;
    table_name: string;
    key: string;
    op: string;
    version: string;
    reason: string;
    column_name: string | null;
    attempts: number;
    dead_at: Date;
    doc_as_text: boolean;
    overtaken_by: string | null;
  }>(
    `SELECT d.id, d.seq, d.table_name, d.key, d.op, d.version, d.reason, d.column_name, d.attempts, d.dead_at,
            d.doc_text IS NOT NULL AS doc_as_text,
            (SELECT k.version FROM ${tool.sql}.reverse_sync_key k
              WHERE k.table_name = d.table_name AND k.key = d.key AND k.version > d.version) AS overtaken_by
       FROM ${tool.sql}.reverse_sync_dead_letter d WHERE d.resolved_at IS NULL ORDER BY d.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    seq: Number(r.seq),
    table: r.table_name,
    key: r.key,
    op: r.op,
    version: Number(r.version),
    reason: r.reason,
    column: r.column_name,
    attempts: r.attempts,
    deadAt: r.dead_at,
    docAsText: r.doc_as_text,
    overtakenBy: r.overtaken_by === null ? null : Number(r.overtaken_by),
  }));
}

export async function reverseSyncStatus(
  pool: pg.Pool, tool: ToolSchema,
  source: ChangeLogSource,
  now: () => number = Date.now,
): Promise<ReverseSyncStatus> {
  const { rows } = await pool.query<{ cursor_seq: string; applied: string; updated_at: Date }>(
    `SELECT cursor_seq, applied, updated_at FROM ${tool.sql}.reverse_sync_state`,
  );
  const state = rows[0]!;
  const pending = await source.pendingChanges(Number(state.cursor_seq));
  return {
    cursor: Number(state.cursor_seq),
    applied: Number(state.applied),
    updatedAt: state.updated_at,
    pending: pending.pending,
    capped: pending.capped,
    lagSeconds:
      pending.oldestLoggedAt === null ? 0 : Math.max(0, (now() - pending.oldestLoggedAt) / 1000),
    deadLetters: await listReverseDeadLetters(pool, tool),
  };
}
