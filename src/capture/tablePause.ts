/**
 * Pausing a table whose shape changed under capture, and resuming it. The
 * relay pauses (it is the one that finds a row image it cannot map with the
 * columns it knows); `capture install` resumes, because it regenerates the
 * trigger for the table's new shape. Claims skip every transaction holding a
 * pending event of a paused table (outbox/outboxStore.ts), so nothing of it is
 * applied and nothing is lost.
 */
import type { Queryable } from '../postgres/database.js';
import { recordAudit } from './audit.js';
import type { ColumnShape } from './tableShape.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface TablePause {
  table: string;
  reason: string;
  detail: Record<string, unknown>;
  pausedAt: Date;
}

export interface PauseRequest {
  table: string;
  reason: string;
  detail: Record<string, unknown>;
  /**
   * The newest resume the pausing relay had seen when it discovered the mirror
   * (resumeMarker). A table resumed after that is not paused: the relay maps
   * with an old shape and only needs to discover the mirror again.
   */
  seenResume: string | null;
  actor?: string;
}

/** Paused tables, oldest pause first. */
export async function pausedTables(db: Queryable, tool: ToolSchema): Promise<TablePause[]> {
  const { rows } = await db.query<{ table_name: string; reason: string; detail: Record<string, unknown>; paused_at: Date }>(
    `SELECT table_name, reason, detail, paused_at FROM ${tool.sql}.table_pause
      WHERE resumed_at IS NULL ORDER BY paused_at, table_name`,
  );
  return rows.map((r) => ({ table: r.table_name, reason: r.reason, detail: r.detail, pausedAt: r.paused_at }));
}

/**
 * The time of the newest resume of any table (null when none), as Postgres
 * text so no microseconds are lost: a relay discovers the mirror again when it moves.
 */
export async function resumeMarker(db: Queryable, tool: ToolSchema): Promise<string | null> {
  const { rows } = await db.query<{ marker: string | null }>(`SELECT max(resumed_at)::text AS marker FROM ${tool.sql}.table_pause`);
  return rows[0]?.marker ?? null;
}

/**
 * Pauses a table unless it is paused already or was resumed after the
 * caller's view of it: `paused` (by this call, and audited), `already-paused`,
 * or `resumed-since` (the caller should discover the mirror again).
 */
export async function pauseTable(
  db: Queryable, tool: ToolSchema,
  request: PauseRequest,
): Promise<'paused' | 'already-paused' | 'resumed-since'> {
  const { rowCount } = await db.query(
    `INSERT INTO ${tool.sql}.table_pause (table_name, reason, detail, paused_at, resumed_at)
     VALUES ($1, $2, $3::jsonb, now(), NULL)
     ON CONFLICT (table_name) DO UPDATE
        SET reason = excluded.reason, detail = excluded.detail, paused_at = now(), resumed_at = NULL
      WHERE ${tool.sql}.table_pause.resumed_at IS NOT NULL
        AND ${tool.sql}.table_pause.resumed_at <= coalesce($4::timestamptz, '-infinity')`,
    [request.table, request.reason, JSON.stringify(request.detail), request.seenResume],
  );
  if (rowCount !== 1) {
    const { rows } = await db.query<{ paused: boolean }>(
      `SELECT resumed_at IS NULL AS paused FROM ${tool.sql}.table_pause WHERE table_name = $1`,
      [request.table],
    );
    return rows[0]?.paused ? 'already-paused' : 'resumed-since';
  }
  await recordAudit(db, tool, {
    actor: request.actor,
    action: 'relay.pause',
    target: request.table,
    detail: { reason: request.reason, ...request.detail },
  });
  return 'paused';
}

/**
 * Marks tables as (re)installed: a paused one resumes (audited as
 * `capture.resume`), and every one bumps the resume marker so running relays
 * discover the mirror again before mapping it. Call inside the install's
 * transaction.
 */
export async function resumeTables(db: Queryable, tool: ToolSchema, tables: readonly string[], actor?: string): Promise<string[]> {
  if (tables.length === 0) return [];
  const { rows: resumed } = await db.query<{ table_name: string; reason: string | null }>(
    `SELECT table_name, reason FROM ${tool.sql}.table_pause
      WHERE table_name = ANY($1::text[]) AND resumed_at IS NULL ORDER BY table_name FOR UPDATE`,
    [tables],
  );
  await db.query(
    `INSERT INTO ${tool.sql}.table_pause (table_name, resumed_at)
     SELECT t, clock_timestamp() FROM unnest($1::text[]) AS t
     ON CONFLICT (table_name) DO UPDATE SET resumed_at = clock_timestamp()`,
    [tables],
  );
  for (const r of resumed)
    await recordAudit(db, tool, { actor, action: 'capture.resume', target: r.table_name, detail: { pausedFor: r.reason } });
  return resumed.map((r) => r.table_name);
}

/** The shape each table had at its last `capture install` (tables installed before Tandem recorded it are left out). */
export async function installedShapes(db: Queryable, tool: ToolSchema): Promise<Map<string, ColumnShape[]>> {
  const { rows } = await db.query<{ table_name: string; columns: ColumnShape[] }>(
    `SELECT table_name, columns FROM ${tool.sql}.captured_table WHERE columns IS NOT NULL`,
  );
  return new Map(rows.map((r) => [r.table_name, r.columns]));
}

/** Records the shape a table is installed for (in the install's transaction). */
export async function recordInstalledShape(db: Queryable, tool: ToolSchema, table: string, columns: readonly ColumnShape[]): Promise<void> {
  await db.query(`UPDATE ${tool.sql}.captured_table SET columns = $2::jsonb WHERE table_name = $1`, [
    table,
    JSON.stringify(columns),
  ]);
}

/**
 * The last schema change each of `tables` was paused for (kept after the
 * resume): an event captured before it has an image of the old shape.
 */
export async function lastShapeChanges(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
): Promise<Map<string, { added?: string[]; dropped?: string[]; retyped?: Array<{ column: string }> }>> {
  if (tables.length === 0) return new Map();
  const { rows } = await db.query<{ table_name: string; detail: Record<string, unknown> }>(
    `SELECT table_name, detail FROM ${tool.sql}.table_pause WHERE table_name = ANY($1::text[]) AND detail IS NOT NULL`,
    [tables],
  );
  return new Map(rows.map((r) => [r.table_name, r.detail]));
}
