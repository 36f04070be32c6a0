/**
 * `tandem backfill [--tables a,b] [--rate <rows/s>] [--batch-rows N] [--batch-bytes B] [--calls-in-flight N] [--restart]`:
 * copies existing rows into Convex behind live capture (the library's
 * backfill), with progress on stderr and a summary on stdout. Ctrl-C finishes
 * the call in flight, checkpoints it and exits; run again to resume.
 *
 * Exit codes: 0 all done; 1 done, but some rows were rejected as
 * unrepresentable (see tandem.backfill_rejected); 2 could not run; 130 stopped
 * by a signal.
 */
import type { Command } from 'commander';
import {
  backfill,
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_ROWS,
  DEFAULT_CALLS_IN_FLIGHT,
  MAX_CALLS_IN_FLIGHT,
  MAX_BATCH_BYTES,
  MAX_BATCH_ROWS,
  type BackfillProgress,
  type BackfillResult,
} from '../../index.js';
import { openConvexTarget } from '../../index.js';
import { commandContext, discover, EXIT_FINDINGS, parseList, withDatabase } from '../context.js';
import { tableProgress, type TableProgress } from '../progress.js';
import { positiveNumber, wholeNumber } from '../optionParsers.js';

const EXIT_INTERRUPTED = 130;

interface BackfillFlags {
  tables?: string[];
  rate?: number;
  batchRows: number;
  batchBytes: number;
  callsInFlight: number;
  restart?: boolean;
  outageLimit?: number;
}

/** Feeds the library's progress events into per-table bars (or plain lines). */
export function showProgress(progress: TableProgress) {
  return (e: BackfillProgress): void => {
    if (e.kind === 'table-start') progress.start(e.table, e.done, e.total);
    else if (e.kind === 'batch') progress.update(e.table, e.done, e.total);
    else if (e.kind === 'table-done') progress.finish(e.table, e.done);
    else if (e.kind === 'waiting')
      progress.note(
        e.table,
        `waiting for Convex (unavailable for ${Math.round(e.outageMs / 1000)} s, next try in ${(e.waitMs / 1000).toFixed(1)} s): ${e.reason}`,
      );
    else progress.note(e.table, e.reason);
  };
}

export function formatBackfillSummary(result: BackfillResult): string {
  const header = ['table', 'outcome', 'copied', 'skipped', 'rejected', 'total', 'seconds', 'rows/s'];
  const body = result.tables.map((t) => [
    t.table,
    t.outcome,
    String(t.copied),
    String(t.skipped),
    String(t.rejected),
    String(t.totalCopied),
    t.seconds.toFixed(1),
    t.seconds > 0 ? String(Math.round(t.copied / t.seconds)) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

/** First Ctrl-C (or SIGTERM): stop after the call in flight. Second: leave at once (the checkpoint is still safe). */
function abortOnSignals(controller: AbortController, onFirst: () => void): () => void {
  const handler = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    onFirst();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export function register(program: Command): void {
  program
    .command('backfill')
    .description('Copy existing rows into Convex in plan order, behind live capture: throttled, resumable, never overwriting a newer change')
    .option('--tables <list>', 'comma-separated mirrored tables (default: all), copied in plan order', parseList)
    .option('--rate <rows/s>', 'rows per second at most (default: no limit)', positiveNumber('a positive number of rows per second'))
    .option('--batch-rows <n>', 'rows per page and per Convex call at most', wholeNumber(1, MAX_BATCH_ROWS), DEFAULT_BATCH_ROWS)
    .option('--batch-bytes <b>', 'approximate bytes per Convex call at most', wholeNumber(64 * 1024, MAX_BATCH_BYTES), DEFAULT_BATCH_BYTES)
    .option('--calls-in-flight <n>', 'Convex calls awaiting an answer at once', wholeNumber(1, MAX_CALLS_IN_FLIGHT), DEFAULT_CALLS_IN_FLIGHT)
    .option('--restart', 'forget the checkpoints of the selected tables and copy them again from the first key')
    .option(
      '--outage-limit <seconds>',
      'give up when Convex stays unavailable this long (default: wait until interrupted)',
      positiveNumber('a positive number of seconds'),
    )
    .action(async (flags: BackfillFlags) => {
      const ctx = await commandContext();
      const target = openConvexTarget(ctx.config);
      const controller = new AbortController();
      const progress = tableProgress('backfill');
      const release = abortOnSignals(controller, () =>
        progress.note('backfill', 'stopping after the call in flight (Ctrl-C again to leave now)'),
      );
      let result: BackfillResult;
      try {
        result = await withDatabase(ctx, async (db) =>
          backfill(db.pool, ctx.tool, target, {
            config: (await discover(ctx, db)).mirror,
            tables: flags.tables,
            rate: flags.rate,
            batchRows: flags.batchRows,
            batchBytes: flags.batchBytes,
            callsInFlight: flags.callsInFlight,
            restart: flags.restart,
            outageLimitMs: flags.outageLimit === undefined ? undefined : flags.outageLimit * 1000,
            signal: controller.signal,
            onProgress: showProgress(progress),
            log: ctx.log,
          }),
        );
      } finally {
        progress.stop();
        release();
        await target.close?.();
      }
      process.stdout.write(formatBackfillSummary(result));
      if (result.stopped) {
        process.stderr.write('tandem backfill: stopped at a checkpoint; run it again to resume\n');
        process.exitCode = EXIT_INTERRUPTED;
      } else if (result.tables.some((t) => t.rejected > 0)) {
        process.stderr.write(`tandem backfill: some rows cannot be stored in Convex; see ${ctx.tool.sql}.backfill_rejected\n`);
        process.exitCode = EXIT_FINDINGS;
      }
    });
}
