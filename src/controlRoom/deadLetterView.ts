/**
 * Unresolved dead letters with what an operator needs to decide: the reason,
 * the attempts and the row image that could not be applied (the payload).
 * Retry and discard go through src/outbox/deadLetters.ts, which audits them.
 */
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface DeadLetterView {
  id: number;
  table: string;
  key: string;
  op: string;
  reason: string;
  rule: string | null;
  column: string | null;
  attempts: number;
  /** The captured row image (null for a delete). */
  payload: Record<string, unknown> | null;
  /** When it was dead-lettered, milliseconds since the epoch. */
  createdAt: number;
}

export async function deadLetterViews(
  db: Queryable, tool: ToolSchema,
  options: { table?: string; limit: number },
): Promise<DeadLetterView[]> {
  const { rows } = await db.query<{
    id: string;
    table_name: string;
    key: string;
    op: string;
    reason: string;
    rule: string | null;
    column_name: string | null;
    attempts: number;
    row: Record<string, unknown> | null;
    dead_at: Date;
  }>(
    `SELECT id, table_name, key, op, reason, rule, column_name, attempts, "row", dead_at
       FROM ${tool.sql}.dead_letter
      WHERE resolved_at IS NULL AND ($1::text IS NULL OR table_name = $1)
      ORDER BY id LIMIT $2`,
    [options.table ?? null, options.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    table: r.table_name,
    key: r.key,
    op: r.op,
    reason: r.reason,
    rule: r.rule,
    column: r.column_name,
    attempts: r.attempts,
    payload: r.row,
    createdAt: new Date(r.dead_at).getTime(),
  }));
}
