/**
 * Capture as it stands: per table, whether the trigger is installed and firing,
 * the key it captures by, how far the relay is behind, and how many untracked
 * writes (events without an operation key) it has seen.
 */
import type { Queryable } from '../postgres/database.js';
import { requireSchema } from '../postgres/migrate.js';
import { keyColumnsByTable, type MirrorConfig } from '../mapping/index.js';
import {
  callsCaptureFunction,
  readTableCatalog,
  triggerIsCurrent,
  type TableCatalog,
} from './catalog.js';
import { heavyColumnsOf } from './install.js';
import { installedShapes, pausedTables, type TablePause } from './tablePause.js';
import { diffShapes, tableShape, type ShapeChange } from './tableShape.js';
import { capturedTables } from './uninstall.js';
import type { ToolSchema } from '../core/toolSchema.js';

/**
 * enabled: fires on every write; disabled / replica-only: present but not
 * firing normally; stale: fires, but its function was generated for another
 * shape of the table (or by an older Tandem), so `capture install` refreshes it.
 */
export type CaptureState =
  'enabled' | 'stale' | 'disabled' | 'replica-only' | 'absent' | 'missing-table';

export interface TableCaptureStatus {
  table: string;
  state: CaptureState;
  /** Trigger present, firing, and calling the function generated for the table as it is now. */
  installed: boolean;
  keyColumns: string[];
  pending: number;
  /** Age of the oldest pending event; null when none is pending. */
  oldestPendingMs: number | null;
  untracked: number;
  /** Writes a freeze refused since the table was frozen (forgotten write paths; 0 when not frozen). */
  refusedWhileFrozen: number;
  /** Paused by the relay because the table's shape changed under capture (null: flowing). */
  paused: TablePause | null;
  /**
   * The live columns differ from those `capture install` recorded: a relay
   * will pause the table (null when they agree or nothing was recorded).
   */
  shapeChange: ShapeChange | null;
}

export interface UntrackedWrites {
  table: string;
  count: number;
  lastSeenAt: Date | null;
  /** Writes refused because the table is frozen: a write path that still writes Postgres (0 when not frozen). */
  refusedWhileFrozen: number;
}

function captureState(catalog: TableCatalog | undefined, tool: ToolSchema, mirror: MirrorConfig): CaptureState {
  if (!catalog) return 'missing-table';
  const trigger = catalog.trigger;
  if (!trigger || !callsCaptureFunction(trigger, tool)) return 'absent';
  if (trigger.enabled === 'D') return 'disabled';
  if (trigger.enabled === 'R') return 'replica-only';
  return triggerIsCurrent(catalog, tool, heavyColumnsOf(catalog.table, mirror)) ? 'enabled' : 'stale';
}

/** Untracked writes per table, most frequent first: live outbox events plus those already pruned. */
export async function untrackedWrites(db: Queryable, tool: ToolSchema): Promise<UntrackedWrites[]> {
  const { rows } = await db.query<{ table_name: string; count: string; last_seen_at: Date | null }>(
    `SELECT table_name, count::text, last_seen_at FROM ${tool.sql}.untracked_writes ORDER BY count DESC, table_name`,
  );
  const refused = await refusedFrozenWrites(db, tool);
  const out: UntrackedWrites[] = rows.map((r) => ({
    table: r.table_name,
    count: Number(r.count),
    lastSeenAt: r.last_seen_at,
    refusedWhileFrozen: refused.get(r.table_name) ?? 0,
  }));
  // A frozen table's forgotten write path is refused, so capture never saw it: listed by its refusals.
  for (const [table, n] of refused)
    if (n > 0 && !out.some((u) => u.table === table)) out.push({ table, count: 0, lastSeenAt: null, refusedWhileFrozen: n });
  return out;
}

/**
 * Writes refused per frozen table since its freeze. A refused write's
 * transaction rolls back, so it draws from the table's sequence (migration
 * 0018: nextval is not undone) before the freeze trigger raises. Tables frozen
 * before that migration have no count.
 */
export async function refusedFrozenWrites(db: Queryable, tool: ToolSchema): Promise<Map<string, number>> {
  const { rows } = await db.query<{ table_name: string; refusals_seq: string }>(
    `SELECT table_name, refusals_seq FROM ${tool.sql}.table_freeze WHERE refusals_seq IS NOT NULL ORDER BY table_name`,
  );
  const out = new Map<string, number>();
  for (const r of rows) {
    // The sequence starts at 0, not yet called: is_called false means nothing refused.
    const seq = await db.query<{ n: string }>(
      `SELECT CASE WHEN is_called THEN last_value + 1 ELSE 0 END AS n FROM ${r.refusals_seq}`,
    );
    out.set(r.table_name, Number(seq.rows[0]!.n));
  }
  return out;
}

async function pendingByTable(
  db: Queryable, tool: ToolSchema,
): Promise<Map<string, { pending: number; oldestMs: number }>> {
  const { rows } = await db.query<{ table_name: string; pending: string; oldest_ms: number }>(
    `SELECT table_name, count(*)::text AS pending,
            (extract(epoch FROM clock_timestamp() - min(captured_at)) * 1000)::float8 AS oldest_ms
       FROM ${tool.sql}.outbox WHERE status = 'pending' GROUP BY table_name`,
  );
  return new Map(
    rows.map((r) => [
      r.table_name,
      { pending: Number(r.pending), oldestMs: Math.max(0, r.oldest_ms) },
    ]),
  );
}

/** One row per mirrored table and per table capture is on, in that order. */
export async function captureStatus(
  db: Queryable, tool: ToolSchema,
  mirror: MirrorConfig,
): Promise<TableCaptureStatus[]> {
  await requireSchema(db, tool);
  const captured = await capturedTables(db, tool, mirror.schema);
  const tables = [...new Set<string>([...mirror.tables.map((t) => t.name), ...captured])];
  const catalogs = await readTableCatalog(db, tables, {
    schema: mirror.schema,
    tool,
    keys: keyColumnsByTable(mirror),
  });
  const pending = await pendingByTable(db, tool);
  const untrackedRows = await untrackedWrites(db, tool);
  const untracked = new Map(untrackedRows.map((u) => [u.table, u.count]));
  const refused = new Map(untrackedRows.map((u) => [u.table, u.refusedWhileFrozen]));
  const paused = new Map((await pausedTables(db, tool)).map((p) => [p.table, p]));
  const installed = await installedShapes(db, tool);
  const shapeChange = (table: string): ShapeChange | null => {
    const shape = installed.get(table);
    const live = mirror.tables.find((t) => t.name === table);
    return shape && live ? diffShapes(table, shape, tableShape(live)) : null;
  };
  return tables.map((table) => {
    const catalog = catalogs.get(table);
    const state = captureState(catalog, tool, mirror);
    return {
      table,
      state,
      installed: state === 'enabled',
      keyColumns: catalog?.keyColumns ?? [],
      pending: pending.get(table)?.pending ?? 0,
      oldestPendingMs: pending.get(table)?.oldestMs ?? null,
      untracked: untracked.get(table) ?? 0,
      refusedWhileFrozen: refused.get(table) ?? 0,
      paused: paused.get(table) ?? null,
      shapeChange: shapeChange(table),
    };
  });
}
