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
import type { Logger } from '../index.js';
import { mirrorMapper } from '../index.js';
import { createRelayMetrics, registerOutboxGauges, type RelayMetrics } from '../index.js';
import { MirrorRunner } from '../index.js';
import { Relay, type RelayOptions } from '../index.js';

export interface MirrorStack {
  relay: Relay;
  runner: MirrorRunner;
  metrics: RelayMetrics;
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
  mirrorWaitMs: number;
  relay?: Partial<RelayOptions>;
}): MirrorStack {
  const registry = new Registry();
  const metrics = createRelayMetrics(registry);
  registerOutboxGauges(registry, options.pool);
  const relay = new Relay(
    {
      pool: options.pool,
      target: options.target,
      schema: options.discover ? { mirror: options.mirror, discover: options.discover } : undefined,
      mapper: options.discover ? undefined : mirrorMapper(options.mirror),
      metrics,
      log: options.log,
    },
    options.relay,
  );
  const runner = new MirrorRunner(options.pool, relay, metrics, options.log, { waitMs: options.mirrorWaitMs });
  relay.start();
  return {
    relay,
    runner,
    metrics,
    metricsRoute(app) {
      app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
        reply.header('content-type', registry.contentType);
        return registry.metrics();
      });
    },
    stop: () => relay.stop(),
  };
}
