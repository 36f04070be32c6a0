/**
 * Alert state and history in the tool's schema (migration 0011_alerts). The
 * state row per (rule, table) is shared by every process that evaluates
 * rules; a transition is recorded, and its sinks told, only when it changes
 * that row, so a relay and an API server evaluating the same rules notify
 * once. A process that is behind (still pending while another already fired)
 * cannot move a firing alert back to pending.
 */
import type { Queryable } from '../postgres/database.js';
import { ALERT_CONDITIONS, type AlertCondition, type AlertSeverity } from './rules.js';
import type { AlertInstance, AlertState, AlertTransition } from './evaluator.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface AlertEvent {
  id: number;
  at: Date;
  /** A rule condition, or an event raised by another part of Tandem (e.g. `readRollback`). */
  rule: string;
  table: string;
  from: string;
  to: AlertState;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  summary: string;
}

export interface CurrentAlert {
  rule: string;
  table: string;
  state: 'pending' | 'firing';
  severity: AlertSeverity;
  value: number;
  threshold: number;
  summary: string;
  activeAt: Date | null;
  firedAt: Date | null;
  updatedAt: Date;
}

/**
 * Writes a transition if it changes the shared state; true when it did (then
 * the caller notifies the sinks). Instant events (`raised`) have no state row
 * and are always recorded.
 */
export async function recordTransition(db: Queryable, tool: ToolSchema, t: AlertTransition | RaisedAlert): Promise<boolean> {
  const at = new Date(t.at);
  if ('raised' in t) {
    await db.query(
      `INSERT INTO ${tool.sql}.alert_event (at, rule, table_name, from_state, to_state, severity, value, threshold, summary)
       VALUES ($1, $2, $3, 'inactive', 'firing', $4, $5, $6, $7)`,
      [at, t.rule, t.table, t.severity, t.value, t.threshold, t.summary],
    );
    return true;
  }
  const { rows } = await db.query(
    `WITH changed AS (
       INSERT INTO ${tool.sql}.alert_state AS s (rule, table_name, state, severity, value, threshold, summary, active_at, fired_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7,
               CASE WHEN $3 IN ('pending', 'firing') THEN $8::timestamptz END,
               CASE WHEN $3 = 'firing' THEN $8::timestamptz END, $8)
       ON CONFLICT (rule, table_name) DO UPDATE
          SET state = EXCLUDED.state, severity = EXCLUDED.severity, value = EXCLUDED.value,
              threshold = EXCLUDED.threshold, summary = EXCLUDED.summary, updated_at = EXCLUDED.updated_at,
              active_at = CASE WHEN EXCLUDED.state = 'pending' THEN EXCLUDED.active_at
                               WHEN EXCLUDED.state = 'firing' THEN coalesce(s.active_at, EXCLUDED.active_at)
                               ELSE s.active_at END,
              fired_at = CASE WHEN EXCLUDED.state = 'firing' THEN EXCLUDED.fired_at ELSE s.fired_at END
        WHERE s.state <> EXCLUDED.state AND NOT (s.state = 'firing' AND EXCLUDED.state = 'pending')
       RETURNING 1)
     INSERT INTO ${tool.sql}.alert_event (at, rule, table_name, from_state, to_state, severity, value, threshold, summary)
     SELECT $8, $1, $2, $9, $3, $4, $5, $6, $7 FROM changed
     RETURNING id`,
    [t.rule, t.table, t.to, t.severity, t.value, t.threshold, t.summary, at, t.from],
  );
  return rows.length > 0;
}

/** An alert raised by another part of Tandem as a one-off event (it has no pending or resolved). */
export interface RaisedAlert {
  raised: true;
  rule: string;
  table: string;
  at: number;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  summary: string;
}

interface StateRow {
  rule: string;
  table_name: string;
  state: 'pending' | 'firing';
  severity: AlertSeverity;
  value: number;
  threshold: number;
  summary: string;
  active_at: Date | null;
  fired_at: Date | null;
  updated_at: Date;
}

/** Alerts pending or firing now, firing first, then by table and rule. */
export async function currentAlerts(db: Queryable, tool: ToolSchema): Promise<CurrentAlert[]> {
  const { rows } = await db.query<StateRow>(
    `SELECT rule, table_name, state, severity, value, threshold, summary, active_at, fired_at, updated_at
       FROM ${tool.sql}.alert_state WHERE state IN ('pending', 'firing')
      ORDER BY state = 'firing' DESC, table_name, rule`,
  );
  return rows.map((r) => ({
    rule: r.rule,
    table: r.table_name,
    state: r.state,
    severity: r.severity,
    value: r.value,
    threshold: r.threshold,
    summary: r.summary,
    activeAt: r.active_at,
    firedAt: r.fired_at,
    updatedAt: r.updated_at,
  }));
}

/** The shared state as the evaluator keeps it, to resume after a restart. */
export async function activeInstances(db: Queryable, tool: ToolSchema): Promise<AlertInstance[]> {
  return (await currentAlerts(db, tool))
    .filter((a) => (ALERT_CONDITIONS as readonly string[]).includes(a.rule))
    .map((a) => ({
      rule: a.rule as AlertCondition,
      table: a.table,
      state: a.state,
      severity: a.severity,
      value: a.value,
      threshold: a.threshold,
      activeAt: a.activeAt?.getTime() ?? null,
      firedAt: a.firedAt?.getTime() ?? null,
      keepFiringSince: null,
    }));
}

export interface AlertHistoryQuery {
  table?: string;
  /** Only events before this id (paging, newest first). */
  beforeId?: number;
  since?: Date;
  /** Default 100, at most 1,000. */
  limit?: number;
}

/** Alert transitions, newest first. */
export async function listAlertHistory(db: Queryable, tool: ToolSchema, query: AlertHistoryQuery = {}): Promise<AlertEvent[]> {
  const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
  const { rows } = await db.query<{
    id: string;
    at: Date;
    rule: string;
    table_name: string;
    from_state: string;
    to_state: AlertState;
    severity: AlertSeverity;
    value: number;
    threshold: number;
    summary: string;
  }>(
    `SELECT id::text, at, rule, table_name, from_state, to_state, severity, value, threshold, summary
       FROM ${tool.sql}.alert_event
      WHERE ($1::text IS NULL OR table_name = $1) AND ($2::bigint IS NULL OR id < $2)
        AND ($3::timestamptz IS NULL OR at >= $3)
      ORDER BY at DESC, id DESC LIMIT $4`,
    [query.table ?? null, query.beforeId ?? null, query.since ?? null, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    rule: r.rule,
    table: r.table_name,
    from: r.from_state,
    to: r.to_state,
    severity: r.severity,
    value: r.value,
    threshold: r.threshold,
    summary: r.summary,
  }));
}

