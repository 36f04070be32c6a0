/**
 * The mirror as a long-running process runs it: a relay draining the outbox,
 * the mirror runner that application writes go through, and the Prometheus
 * metrics route. Used by `dev` (and `serve` when a Convex target is set).
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Registry } from 'prom-client';
import type { ConvexTarget } from '../index.js';
import type { MirrorConfig } from '../index.js';
import type { ToolSchema } from '../index.js';
import type { Logger } from '../index.js';
import { mirrorMapper } from '../index.js';
import { createRelayMetrics, registerOutboxGauges, type RelayMetrics } from '../index.js';
import { MirrorRunner } from '../index.js';
import { Relay, type RelayOptions } from '../index.js';
import { startAlerting, type AlertMonitor, type AlertPolicy, type Config } from '../index.js';

/** Alerting for a long-running process: its rules and what the sinks need. */
export interface AlertingSettings {
  policy: AlertPolicy;
  config: Pick<Config, 'databaseUrl' | 'convexDeployKey' | 'apiTokens' | 'alertWebhookUrl'>;
  /** Reverse-sync lag per table, for the reverseSyncLag rule (the serving stack reads it from Convex). */
  reverseSyncLag?: (tables: readonly string[]) => Promise<ReadonlyMap<string, number>>;
}

export interface MirrorStack {
  relay: Relay;
  runner: MirrorRunner;
  metrics: RelayMetrics;
  /** The alert rules evaluated in this process (absent when not asked for). */
  alerts?: AlertMonitor;
  /** Registers GET /metrics on the API server. */
  metricsRoute(app: FastifyInstance): void;
  stop(): Promise<void>;
}

export function startMirrorStack(options: {
  pool: pg.Pool;
  target: ConvexTarget;
  /** The mirrored tables (discovery). */
  mirror: MirrorConfig;
  /** Discovers the mirror again: with it, a schema change pauses its table (docs/relay.md). */
  discover?: () => Promise<MirrorConfig>;
  log: Logger;
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  mirrorWaitMs: number;
  relay?: Partial<RelayOptions>;
  alerts?: AlertingSettings;
}): MirrorStack {
  const registry = new Registry();
  const metrics = createRelayMetrics(registry);
  registerOutboxGauges(registry, options.tool, options.pool);
  const relay = new Relay(
    {
      pool: options.pool,
      tool: options.tool,
      target: options.target,
      schema: options.discover ? { mirror: options.mirror, discover: options.discover } : undefined,
      mapper: options.discover ? undefined : mirrorMapper(options.mirror),
      metrics,
      log: options.log,
    },
    options.relay,
  );
  const runner = new MirrorRunner(options.pool, relay, metrics, options.log, { tool: options.tool, waitMs: options.mirrorWaitMs });
  const alerts = options.alerts
    ? startAlerting({
        pool: options.pool,
        tool: options.tool,
        policy: options.alerts.policy,
        tables: () => options.mirror.tables.map((t) => t.name),
        config: options.alerts.config,
        log: options.log,
        reverseSyncLag: options.alerts.reverseSyncLag,
      })
    : undefined;
  relay.start();
  return {
    relay,
    runner,
    metrics,
    alerts,
    metricsRoute(app) {
      app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
        reply.header('content-type', registry.contentType);
        return registry.metrics();
      });
    },
    async stop() {
      await alerts?.stop();
      await relay.stop();
    },
  };
}
