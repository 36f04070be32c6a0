/**
 * Dead letters: events the relay gave up on, kept with their reason. An
 * operator lists them, retries them (once the cause is fixed) or discards them;
 * every decision is written to the audit log.
 */
import type pg from 'pg';
import { recordAudit } from '../capture/audit.js';
import { NotFoundError } from '../core/errors.js';
import { withTransaction } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface DeadLetter {
  id: number;
  seq: number;
  txid: string;
  table: string;
  key: string;
  op: string;
  reason: string;
  rule: string | null;
  column: string | null;
  attempts: number;
  deadAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

interface DeadLetterRow {
  id: string;
  seq: string;
  txid: string;
  table_name: string;
  key: string;
  op: string;
  reason: string;
  rule: string | null;
  column_name: string | null;
  attempts: number;
  dead_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
}

function toDeadLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: Number(r.id),
    seq: Number(r.seq),
    txid: r.txid,
    table: r.table_name,
    key: r.key,
    op: r.op,
    reason: r.reason,
    rule: r.rule,
    column: r.column_name,
    attempts: r.attempts,
    deadAt: r.dead_at,
    resolvedAt: r.resolved_at,
    resolution: r.resolution,
  };
}

export async function listDeadLetters(
  pool: pg.Pool, tool: ToolSchema,
  options: { includeResolved?: boolean; table?: string; limit?: number } = {},
): Promise<DeadLetter[]> {
  const { rows } = await pool.query<DeadLetterRow>(
    `SELECT id, seq, txid::text AS txid, table_name, key, op, reason, rule, column_name, attempts, dead_at,
            resolved_at, resolution
       FROM ${tool.sql}.dead_letter
      WHERE ($1 OR resolved_at IS NULL) AND ($2::text IS NULL OR table_name = $2)
      ORDER BY id LIMIT $3`,
    [options.includeResolved ?? false, options.table ?? null, options.limit ?? 1000],
  );
  return rows.map(toDeadLetter);
}

/**
 * Puts dead letters back into the outbox as pending events with their original
 * seq (their row version), so a retried old change still cannot overwrite a
 * newer one in Convex. Returns the ids retried.
 */
export async function retryDeadLetters(pool: pg.Pool, tool: ToolSchema, ids: number[] | 'all', actor: string): Promise<number[]> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `WITH chosen AS (
         SELECT * FROM ${tool.sql}.dead_letter
          WHERE resolved_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
          FOR UPDATE
       ), requeued AS (
         INSERT INTO ${tool.sql}.outbox AS o (seq, txid, table_name, key, op, "row", unchanged, operation_key, status, attempts,
                                         next_attempt_at)
         SELECT seq, txid, table_name, key, op, "row", unchanged, operation_key, 'pending', 0, now() FROM chosen
         ON CONFLICT (seq) DO UPDATE
           SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL, last_error = NULL
       )
       UPDATE ${tool.sql}.dead_letter d SET resolved_at = now(), resolution = 'retried'
         FROM chosen c WHERE d.id = c.id
       RETURNING d.id`,
      [ids === 'all' ? null : ids],
    );
    const done = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    if (ids !== 'all') {
      const missing = ids.find((id) => !done.includes(id));
      if (missing !== undefined) throw new NotFoundError('dead letter (unresolved)', missing);
    }
    await recordAudit(tx, tool, { actor, action: 'dlq.retry', target: ids === 'all' ? 'all' : ids.join(','), detail: { ids: done } });
    return done;
  });
}

/** Marks a dead letter as discarded: an operator decided the change is not to be applied. */
export async function discardDeadLetter(pool: pg.Pool, tool: ToolSchema, id: number, actor: string, reason?: string): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE ${tool.sql}.dead_letter SET resolved_at = now(), resolution = 'discarded' WHERE id = $1 AND resolved_at IS NULL`,
      [id],
    );
    if (!rowCount) throw new NotFoundError('dead letter (unresolved)', id);
    await recordAudit(tx, tool, { actor, action: 'dlq.discard', target: String(id), detail: { reason: reason ?? null } });
  });
}
