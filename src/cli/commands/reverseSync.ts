/**
 * `tandem reverse-sync run [--once] [--metrics-port P]`: applies Convex's change
 * log (tables whose writes moved to Convex) to Postgres; `--once` exits when
 * nothing is pending (1 if anything went to dead letters).
 * `tandem reverse-sync status [--json]`: cursor, pending, lag, dead letters.
 * `tandem reverse-sync dead-letters list|retry <id>|retry --all|discard <id>`:
 * its dead letters, resolved as the relay's are (`tandem dlq`).
 */
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import {
  changeLogSource,
  createRelayMetrics,
  createReverseSyncMetrics,
  discardReverseDeadLetter,
  InvalidInputError,
  listReverseDeadLetters,
  openConvexTarget,
  registerOutboxGauges,
  requireSchema,
  retryReverseDeadLetters,
  reverseSyncStatus,
  ReverseSyncWorker,
  serveMetrics,
  type ReverseDeadLetter,
} from '../../index.js';
import { nextStopSignal } from '../apiStack.js';
import { commandContext, discover, EXIT_FINDINGS, withDatabase, cliActor as actor } from '../context.js';
import { deadLetterId, parsePort, wholeNumber } from '../optionParsers.js';
import { registerDiscard } from './dlq.js';

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
        ...status.deadLetters.map(deadLetterLine),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  registerDeadLetters(command);
}

const deadLetterLine = (d: ReverseDeadLetter): string =>
  `  #${d.id} ${d.table} ${d.key} v${d.version} (${d.attempts} attempts): ${d.reason}` +
  (d.docAsText ? '; document kept as JSON text' : '') +
  (d.overtakenBy === null ? '' : `; overtaken by v${d.overtakenBy}`);


/** Needs Postgres only: a retry applies the change the dead letter kept, not Convex's current row. */
function registerDeadLetters(parent: Command): void {
  const command = parent
    .command('dead-letters')
    .description('list, retry and discard reverse-sync dead letters (changes Postgres never got)');
  command
    .command('list')
    .description('unresolved reverse-sync dead letters')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const ctx = await commandContext();
      const rows = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return listReverseDeadLetters(db.pool, ctx.tool, Number.MAX_SAFE_INTEGER);
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write(rows.length === 0 ? 'no dead letters\n' : `${rows.map(deadLetterLine).join('\n')}\n`);
    });
  command
    .command('retry [id]')
    .description(
      'apply a dead letter (or, with --all, every unresolved one) to Postgres at its version; a newer change of its key still wins',
    )
    .option('--all', 'retry every unresolved dead letter')
    .action(async (id: string | undefined, flags: { all?: boolean }) => {
      if ((id === undefined) === !flags.all) throw new InvalidInputError('id', 'give one id, or --all');
      const ids = flags.all ? 'all' : [deadLetterId(id!)];
      const ctx = await commandContext();
      const outcomes = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return retryReverseDeadLetters(db.pool, ctx.tool, (await discover(ctx, db)).mirror, ids, actor());
      });
      for (const o of outcomes)
        process.stdout.write(
          `#${o.id} ${o.table} ${o.key} v${o.version}: ${o.outcome}${o.error === null ? '' : `: ${o.error}`}\n`,
        );
      const failed = outcomes.filter((o) => o.outcome === 'failed').length;
      process.stdout.write(`retried ${outcomes.length} dead letter(s), ${failed} still failing\n`);
      if (failed > 0) process.exitCode = EXIT_FINDINGS;
    });
  registerDiscard(command, discardReverseDeadLetter, 'reverse-sync dead letter');
}
