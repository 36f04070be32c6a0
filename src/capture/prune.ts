/**
 * Deletes processed outbox events past their retention. Untracked counts of the
 * deleted events are folded into tandem.untracked_write in the same statement,
 * so untrackedWrites() never goes down when the outbox is pruned.
 */
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** Deletes up to `maxRows` done or dead events processed before `olderThan`; returns how many. */
export async function pruneOutbox(
  db: Queryable, tool: ToolSchema,
  olderThan: Date,
  maxRows = 10_000,
): Promise<number> {
  const { rows } = await db.query<{ deleted: string }>(
    `SELECT ${tool.sql}.prune_outbox($1, $2)::text AS deleted`,
    [olderThan, maxRows],
  );
  return Number(rows[0]?.deleted ?? 0);
}
