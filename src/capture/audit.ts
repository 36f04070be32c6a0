/** Appends to tandem.audit_log; the actor defaults to the Postgres role doing it. */
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface AuditEntry {
  actor?: string;
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
}

export async function recordAudit(db: Queryable, tool: ToolSchema, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO ${tool.sql}.audit_log (actor, action, target, detail)
     VALUES (coalesce($1, current_user), $2, $3, $4::jsonb)`,
    [
      entry.actor ?? null,
      entry.action,
      entry.target ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
    ],
  );
}
