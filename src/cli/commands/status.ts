/**
 * `tandem status [--json]`: one line per mirrored table with where it stands:
 * capture state, backfill state, rows copied, outbox pending and lag (age of
 * the oldest pending event).
 */
import type { Command } from 'commander';
import { backfillStatus, type TableBackfillStatus } from '../../index.js';
import { captureStatus, type TableCaptureStatus } from '../../index.js';
import { commandContext, discover, withDatabase } from '../context.js';
import { formatPaused, formatSkipped } from './capture.js';
import { formatDuration } from '../progress.js';

export interface TableStatus {
  table: string;
  capture: TableCaptureStatus['state'];
  backfill: TableBackfillStatus;
  outboxPending: number;
  /** Age of the oldest pending outbox event in ms; null when nothing is pending. */
  lagMs: number | null;
  /** Paused by the relay because the table's shape changed under capture (docs/capture.md). */
  paused: TableCaptureStatus['paused'];
  /** Columns changed since `capture install` (a relay will pause the table). */
  shapeChange: TableCaptureStatus['shapeChange'];
}

export function describeBackfill(b: TableBackfillStatus): string {
  if (b.phase === 'running' || b.phase === 'interrupted' || b.phase === 'stopped')
    return b.percent === null ? b.phase : `${b.phase} ${b.percent}%`;
  return b.phase;
}

function formatLag(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${Math.round(ms)}ms` : formatDuration(ms / 1000);
}

export function formatStatus(rows: TableStatus[]): string {
  const header = ['table', 'capture', 'backfill', 'rows copied', 'outbox pending', 'lag'];
  const body = rows.map((r) => [
    r.table,
    r.paused ? 'paused' : r.capture,
    describeBackfill(r.backfill),
    String(r.backfill.rowsCopied),
    String(r.outboxPending),
    formatLag(r.lagMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

/** One row per backfill entry (backfillStatus lists every table asked about, in order). */
export function joinStatus(capture: TableCaptureStatus[], backfill: TableBackfillStatus[]): TableStatus[] {
  const byCapture = new Map(capture.map((c) => [c.table, c]));
  return backfill.map((b) => {
    const c = byCapture.get(b.table);
    return {
      table: b.table,
      capture: c?.state ?? 'missing-table',
      backfill: b,
      outboxPending: c?.pending ?? 0,
      lagMs: c?.oldestPendingMs ?? null,
      paused: c?.paused ?? null,
      shapeChange: c?.shapeChange ?? null,
    };
  });
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Per table: capture state, backfill state, rows copied, outbox pending and lag')
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: { json?: boolean }) => {
      const ctx = await commandContext();
      const { rows, skipped } = await withDatabase(ctx, async (db) => {
        const discovered = await discover(ctx, db);
        const capture = await captureStatus(db.pool, ctx.tool, discovered.mirror);
        // Mirrored tables in plan order, then any other table capture is on.
        const mirrored = discovered.mirror.tables.map((t) => t.name);
        const tables = [...mirrored, ...capture.map((c) => c.table).filter((t) => !mirrored.includes(t))];
        const rows = joinStatus(capture, await backfillStatus(db.pool, ctx.tool, tables));
        return { rows, skipped: discovered.skipped };
      });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ tables: rows, skipped }, null, 2)}\n`
          : formatStatus(rows) + formatPaused(rows) + formatSkipped(skipped),
      );
    });
}
