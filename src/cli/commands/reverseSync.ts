/**
 * `tandem reverse-sync run [--once] [--metrics-port P]`: applies Convex's change
 * log (tables whose writes moved to Convex) to Postgres; `--once` exits when
 * nothing is pending (1 if anything went to dead letters).
 * `tandem reverse-sync status [--json]`: cursor, pending, lag, dead letters.
 */
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import {
  changeLogSource,
  createRelayMetrics,
  createReverseSyncMetrics,
  openConvexTarget,
  registerOutboxGauges,
  requireSchema,
  reverseSyncStatus,
  ReverseSyncWorker,
  serveMetrics,
} from '../../index.js';
import { nextStopSignal } from '../apiStack.js';
import { commandContext, discover, EXIT_FINDINGS, withDatabase } from '../context.js';
import { parsePort, wholeNumber } from '../optionParsers.js';

interface RunFlags {
  once?: boolean;
  pageSize: number;
  retryBudget: number;
  metricsPort?: number;
  metricsHost: string;
}

export function register(program: Command): void {
  const command = program
    .command('reverse-sync')
    .description("Apply Convex's change log to Postgres for tables whose writes moved to Convex");
  command
    .command('run')
    .description(
      'drain the change log into Postgres: log order, versioned per key, retries, dead letters',
    )
    .option(
      '--once',
      'drain until nothing is pending, then exit (1 if anything went to dead letters)',
    )
    .option('--page-size <n>', 'change-log entries per Postgres transaction', wholeNumber(), 200)
    .option(
      '--retry-budget <n>',
      'failed attempts before a change goes to dead letters',
      wholeNumber(),
      8,
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics on GET /metrics at this port (default: none)',
      parsePort,
    )
    .option('--metrics-host <host>', 'interface for --metrics-port', '127.0.0.1')
    .action(async (flags: RunFlags) => {
      const ctx = await commandContext();
      const target = openConvexTarget(ctx.config);
      const outcome = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const source = changeLogSource(target);
        const registry = new Registry();
        createRelayMetrics(registry);
        registerOutboxGauges(registry, ctx.tool, db.pool);
        const metrics = createReverseSyncMetrics(registry, ctx.tool, db.pool, source);
        const server =
          flags.metricsPort === undefined
            ? undefined
            : await serveMetrics(registry, flags.metricsPort, flags.metricsHost);
        if (server) ctx.log.info({ url: server.url }, 'reverse-sync metrics served');
        const worker = new ReverseSyncWorker({ tool: ctx.tool,
          pool: db.pool,
          source,
          config: (await discover(ctx, db)).mirror,
          pageSize: flags.pageSize,
          retry: { budget: flags.retryBudget, baseDelayMs: 200, maxDelayMs: 60_000 },
          metrics,
          log: ctx.log,
        });
        try {
          if (flags.once) {
            await worker.raiseConvexVersionFloor();
            const drained = await worker.drain(undefined, Number.MAX_SAFE_INTEGER);
            return { drained, status: await reverseSyncStatus(db.pool, ctx.tool, source) };
          }
          const stopped = nextStopSignal();
          const running = worker.start();
          ctx.log.info('reverse sync running');
          await stopped;
          await worker.stop();
          await running;
          return { drained: null, status: await reverseSyncStatus(db.pool, ctx.tool, source) };
        } finally {
          await server?.close();
        }
      });
      const { status } = outcome;
      process.stdout.write(
        `reverse-sync: cursor ${status.cursor}, ${status.pending} pending, ${status.deadLetters.length} dead letters\n`,
      );
      if (flags.once && status.deadLetters.length > 0) process.exitCode = EXIT_FINDINGS;
    });
  command
    .command('status')
    .description('cursor, pending changes, lag and dead letters')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const ctx = await commandContext();
      const target = openConvexTarget(ctx.config);
      const status = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return reverseSyncStatus(db.pool, ctx.tool, changeLogSource(target));
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      const lines = [
        `cursor ${status.cursor} (updated ${status.updatedAt.toISOString()}), ${status.applied} applied`,
        `pending ${status.capped ? 'at least ' : ''}${status.pending}, lag ${status.lagSeconds.toFixed(1)} s`,
        `dead letters ${status.deadLetters.length}`,
        ...status.deadLetters.map(
          (d) =>
            `  #${d.id} ${d.table} ${d.key} v${d.version} (${d.attempts} attempts): ${d.reason}` +
            (d.docAsText ? '; document kept as JSON text' : '') +
            (d.overtakenBy === null ? '' : `; overtaken by v${d.overtakenBy}`),
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
