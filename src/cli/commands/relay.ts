/**
 * `tandem relay [--workers N] [--once] [--metrics-port P]`: drains the outbox
 * into Convex, logging retries and (with --metrics-port) serving /metrics and
 * /healthz. Running continuously, it also evaluates the alert rules.
 * `--once` exits when nothing is pending: 0, or 1 if anything went to dead letters.
 */
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import {
  requireSchema,
  discoverMirror,
  createRelayMetrics,
  registerOutboxGauges,
  serveMetrics,
  openConvexTarget,
  DEFAULT_RELAY_OPTIONS,
  pausedTables,
  Relay,
  startAlerting,
  checkPolicyTables,
  type AlertMonitor,
} from '../../index.js';
import { formatPaused } from './capture.js';
import { nextStopSignal } from '../apiStack.js';
import { commandContext, discover, EXIT_FINDINGS, withDatabase } from '../context.js';
import { parsePort, wholeNumber } from '../optionParsers.js';

interface RelayFlags {
  workers: number;
  once?: boolean;
  claimEvents: number;
  retryBudget: number;
  retentionHours: number;
  leaseMs: number;
  metricsPort?: number;
  metricsHost: string;
}

export function register(program: Command): void {
  program
    .command('relay')
    .description('Apply captured changes to Convex: whole Postgres transactions, retries with backoff, dead letters')
    .option('--workers <n>', 'concurrent workers in this process', wholeNumber(), 1)
    .option('--once', 'drain until nothing is pending, then exit (1 if anything went to dead letters)')
    .option('--claim-events <n>', 'events claimed per round', wholeNumber(), DEFAULT_RELAY_OPTIONS.claimEvents)
    .option('--retry-budget <n>', 'failed attempts before an event goes to dead letters', wholeNumber(), DEFAULT_RELAY_OPTIONS.retry.budget)
    .option('--retention-hours <h>', 'keep processed events this long before pruning', wholeNumber(), 24 * 7)
    .option('--lease-ms <ms>', 'how long claimed events stay reserved for a worker that may have died', wholeNumber(), DEFAULT_RELAY_OPTIONS.leaseMs)
    .option('--metrics-port <port>', 'serve Prometheus metrics on GET /metrics at this port (default: none)', parsePort)
    .option('--metrics-host <host>', 'interface for --metrics-port', '127.0.0.1')
    .action(async (flags: RelayFlags) => {
      const ctx = await commandContext();
      const target = openConvexTarget(ctx.config);
      const summary = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const registry = new Registry();
        const metrics = createRelayMetrics(registry);
        registerOutboxGauges(registry, ctx.tool, db.pool);
        const mirror = (await discover(ctx, db)).mirror;
        const tables = mirror.tables.map((t) => t.name);
        // A rule for a table that is not mirrored is refused before anything runs.
        checkPolicyTables(ctx.project.alerts, tables);
        // What /healthz reports; filled in as the relay and the alert rules start.
        const live: { relay?: Relay; alerts?: AlertMonitor } = {};
        const metricsServer =
          flags.metricsPort === undefined
            ? undefined
            : await serveMetrics(registry, flags.metricsPort, flags.metricsHost, () => ({
                relay: { running: live.relay !== undefined, workers: flags.workers, ...live.relay?.summary },
                alerts: live.alerts ? { evaluated: true, active: live.alerts.activeCount } : { evaluated: false },
              }));
        if (metricsServer) ctx.log.info({ url: metricsServer.url }, 'relay metrics served');
        const relay = new Relay(
          { tool: ctx.tool,
            pool: db.pool,
            target,
            schema: {
              mirror,
              discover: async () => (await discoverMirror(db.pool, ctx.project)).mirror,
            },
            metrics,
            log: ctx.log,
          },
          {
            workers: flags.workers,
            claimEvents: flags.claimEvents,
            retry: { ...DEFAULT_RELAY_OPTIONS.retry, budget: flags.retryBudget },
            retentionMs: flags.retentionHours * 3600 * 1000,
            leaseMs: flags.leaseMs,
          },
        );
        live.relay = relay;
        let summary;
        try {
          if (flags.once) summary = await relay.drain();
          else {
            const stopped = nextStopSignal();
            const alerts = startAlerting({ tool: ctx.tool, pool: db.pool, policy: ctx.project.alerts, tables: () => tables, config: ctx.config, log: ctx.log });
            live.alerts = alerts;
            relay.start();
            ctx.log.info({ workers: flags.workers }, 'relay running');
            await stopped;
            await relay.stop();
            await alerts.stop();
            summary = relay.summary;
          }
        } finally {
          await metricsServer?.close();
        }
        // Held events are not a failure, but nobody should miss that they wait.
        return { ...summary, paused: await pausedTables(db.pool, ctx.tool) };
      });
      process.stdout.write(`relay: ${summary.applied} applied, ${summary.retried} retried, ${summary.dead} dead-lettered\n`);
      process.stdout.write(formatPaused(summary.paused.map((p) => ({ table: p.table, paused: p }))));
      if (flags.once && summary.dead > 0) process.exitCode = EXIT_FINDINGS;
    });
}
