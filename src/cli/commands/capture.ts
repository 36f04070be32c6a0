/**
 * `tandem capture install|uninstall|status`: the capture trigger on application
 * tables. Each subcommand needs an up-to-date schema (`tandem init`).
 */
import type { Command } from 'commander';
import { captureStatus, installCapture, uninstallCapture, type TableCaptureStatus } from '../../index.js';
import { requireSchema } from '../../index.js';
import { selectTables } from '../../index.js';
import { describeShapeChange, type ShapeChange, type SkippedTable } from '../../index.js';
import { commandContext, discover, parseList, withDatabase } from '../context.js';

interface TablesFlags {
  tables?: string[];
}

function formatAge(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
}

export function formatStatusTable(rows: TableCaptureStatus[]): string {
  const header = ['table', 'capture', 'key', 'pending', 'oldest', 'untracked'];
  const body = rows.map((r) => [
    r.table,
    r.paused ? 'paused' : r.state,
    r.keyColumns.join(',') || '-',
    String(r.pending),
    formatAge(r.oldestPendingMs),
    // A frozen table's forgotten write paths are refused before capture: shown beside the untracked ones.
    r.refusedWhileFrozen > 0 ? `${r.untracked} +${r.refusedWhileFrozen} refused (frozen)` : String(r.untracked),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const numeric = new Set([3, 4, 5]);
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

/**
 * Tables paused by a schema change, one line each with the reason (what
 * changed, and how to resume); and tables whose columns changed since
 * `capture install`, which a relay will pause.
 */
export function formatPaused(
  rows: ReadonlyArray<{ table: string; paused: { reason: string } | null; shapeChange?: ShapeChange | null }>,
): string {
  return rows
    .map((r) => {
      if (r.paused) return `paused     ${r.table}  (${r.paused.reason})\n`;
      if (r.shapeChange) return `changed    ${r.table}  (${describeShapeChange(r.shapeChange)})\n`;
      return '';
    })
    .join('');
}

/** Tables discovery left out for want of a key, one line each, so no table is silently ignored. */
export function formatSkipped(skipped: readonly SkippedTable[]): string {
  return skipped.map((s) => `skipped    ${s.table}  (${s.reason})\n`).join('');
}

export function register(program: Command): void {
  const capture = program.command('capture').description('Install, remove and inspect the capture trigger');

  capture
    .command('install')
    .description('Add the capture trigger to each mirrored table (default: every one discovered); idempotent')
    .option('--tables <list>', 'only these mirrored tables (comma-separated)', parseList)
    .action(async (flags: TablesFlags) => {
      const ctx = await commandContext();
      const { results, skipped } = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const discovered = await discover(ctx, db);
        const tables = selectTables(discovered, flags.tables);
        return {
          results: await installCapture(db.pool, { tool: ctx.tool, tables, mirror: discovered.mirror }),
          skipped: flags.tables ? [] : discovered.skipped,
        };
      });
      for (const r of results) {
        process.stdout.write(`${r.action.padEnd(9)}  ${r.table}  (key ${r.keyColumns.join(',')})\n`);
      }
      process.stdout.write(formatSkipped(skipped));
    });

  capture
    .command('uninstall')
    .description('Remove the capture trigger (default: from every captured table); table data is untouched')
    .option('--tables <list>', 'comma-separated table names', parseList)
    .action(async (flags: TablesFlags) => {
      const ctx = await commandContext();
      const results = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return uninstallCapture(db.pool, { tool: ctx.tool, schema: ctx.project.schema, tables: flags.tables });
      });
      if (results.length === 0) process.stdout.write('no table has capture installed\n');
      for (const r of results) process.stdout.write(`${r.action.padEnd(7)}  ${r.table}\n`);
    });

  capture
    .command('status')
    .description('Per table: capture state, key, pending events, oldest pending age, untracked writes')
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: { json?: boolean }) => {
      const ctx = await commandContext();
      const { rows, skipped } = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const discovered = await discover(ctx, db);
        return { rows: await captureStatus(db.pool, ctx.tool, discovered.mirror), skipped: discovered.skipped };
      });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ tables: rows, skipped }, null, 2)}\n`
          : formatStatusTable(rows) + formatPaused(rows) + formatSkipped(skipped),
      );
    });
}
