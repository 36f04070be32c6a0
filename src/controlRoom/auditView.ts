/**
 * The control room's audit view: tandem.audit_log (dead-letter decisions,
 * phase moves, freezes, capture changes, repairs) merged with the read
 * stages' own audit log (tandem.read_flag_history), newest first.
 */
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface AuditViewEntry {
  /** Milliseconds since the epoch. */
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

export async function auditEntries(db: Queryable, tool: ToolSchema, limit: number): Promise<AuditViewEntry[]> {
  const { rows } = await db.query<{
    at: Date;
    actor: string;
    action: string;
    target: string | null;
    detail: Record<string, unknown> | null;
  }>(
    `(SELECT at, actor, action, target, detail, id, 0 AS source FROM ${tool.sql}.audit_log ORDER BY at DESC, id DESC LIMIT $1)
     UNION ALL
     (SELECT at, actor,
             CASE WHEN to_stage = 'postgres' AND from_stage <> 'postgres' THEN 'flags.rollback' ELSE 'flags.set' END,
             table_name,
             jsonb_build_object('from', jsonb_build_object('stage', from_stage, 'percent', from_percent),
                                'to', jsonb_build_object('stage', to_stage, 'percent', to_percent),
                                'why', why, 'forced', forced, 'rule', rule, 'values', detail),
             id, 1 AS source
        FROM ${tool.sql}.read_flag_history ORDER BY at DESC, id DESC LIMIT $1)
     ORDER BY at DESC, source DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    at: new Date(r.at).getTime(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: r.detail,
  }));
}
