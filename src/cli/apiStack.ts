/**
 * Builds and starts the story-site API over a pool: shared by `serve` and `dev`
 * (and, later, the demo), so all of them serve the same thing.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createApiServer, type ApiServerOptions } from '../api/server.js';
import type { AppDeps, WriteRunner } from '../app/ports.js';
import { ConvexReadPaths, type ConvexQueryRunner } from '../app/reads/convex.js';
import { PostgresReadPaths } from '../app/reads/postgres.js';
import { storySiteReader, storySiteReadRouting } from '../app/reads/routing.js';
import { TransactionRunner } from '../app/transactionRunner.js';
import { SampleUserDirectory } from '../app/userDirectory.js';
import { ReadFlags, registerDashboard, type TokenEntry, type Logger } from '../index.js';
import { WriteFlags, type WriteCutoverMetrics } from '../index.js';
import type { ConvexMutationRunner } from '../app/writes/convexPaths.js';
import { storySiteWriteRouter, type StorySiteWriteRouter } from '../app/writes/routing.js';
import { ControlRoom, postgresAlertSource, secretsOf, type ConvexRowCounter } from '../index.js';
import type { MirrorConfig, PhaseSources } from '../index.js';
import { databaseReadiness, type ConvexProbe } from '../api/routes/system.js';

export interface ApiStackOptions {
  pool: pg.Pool;
  tokens: Record<string, TokenEntry>;
  logger: Logger;
  port: number;
  host: string;
  /** How writes run; the plain transaction runner unless mirroring is on. */
  runner?: WriteRunner;
  extraRoutes?: ApiServerOptions['extraRoutes'];
  /**
   * Where Convex reads go. Given, every read is routed by the read stages in
   * the tool's schema (`tandem flags`); absent, every read is Postgres's.
   */
  convex?: ConvexQueryRunner;
  /**
   * Where Convex writes go. Given, every write is routed by its write group's
   * stage in the tool's schema (`tandem flags --writes`, docs/write-cutover.md);
   * absent, every write is Postgres's.
   */
  convexWrites?: ConvexMutationRunner;
  /** A scratch deployment the writes of groups at `convex-shadow` are compared on (else counted skipped). */
  convexShadow?: ConvexMutationRunner;
  writeMetrics?: WriteCutoverMetrics;
  /**
   * The control room's API under /api/control and its metric sampler, over
   * these mirrored tables. `secrets` are values no response may show (the
   * tokens are always among them).
   */
  controlRoom?: {
    mirror: MirrorConfig;
    convexRows?: ConvexRowCounter;
    secrets: ReadonlyArray<string | undefined>;
    /** What the checklist reads from the rest of the plan (alert rules, write stages). */
    phaseSources?: PhaseSources;
  };
}

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  deps: AppDeps;
  controlRoom: ControlRoom | null;
  /** The write router, when writes are routed (a rollback's `hold`). */
  writeRouter: StorySiteWriteRouter | null;
}

/**
 * The cheapest question Convex can answer: one document of a mirrored table
 * (or, with none known, of a table that need not exist; an answer that the
 * table is unknown still says Convex is reachable).
 */
function convexProbe(convex: ConvexQueryRunner, mirror: MirrorConfig | undefined): ConvexProbe {
  const table = mirror?.tables[0]?.name ?? 'tandem_readiness_probe';
  return () => convex.query('tandem:exportPage', { table, cursor: null, numItems: 1 });
}

export async function startApiStack(options: ApiStackOptions): Promise<RunningApi> {
  // Contributor names come from the sample naming rule; a real deployment plugs
  // a UserDirectory backed by its auth system in here.
  const deps: AppDeps = {
    pool: options.pool,
    runner: options.runner ?? new TransactionRunner(options.pool),
    users: new SampleUserDirectory(),
  };
  const postgres = new PostgresReadPaths(options.pool);
  const writeFlags = options.convexWrites
    ? await WriteFlags.start({ pool: options.pool, log: options.logger })
    : null;
  const writeRouter =
    writeFlags && options.convexWrites
      ? storySiteWriteRouter({
          stages: writeFlags,
          convex: options.convexWrites,
          shadow: options.convexShadow,
          metrics: options.writeMetrics,
          log: options.logger,
        })
      : null;
  const flags = options.convex ? await ReadFlags.start({ pool: options.pool, log: options.logger }) : null;
  const room = options.controlRoom
    ? new ControlRoom({
        pool: options.pool,
        mirror: options.controlRoom.mirror,
        log: options.logger,
        convexRows: options.controlRoom.convexRows,
        alerts: postgresAlertSource(options.pool),
        phaseSources: options.controlRoom.phaseSources,
      })
    : null;
  const app = createApiServer({
    deps,
    reads: postgres,
    readRouting:
      flags && options.convex
        ? storySiteReadRouting(storySiteReader({ flags, pool: options.pool, log: options.logger }), {
            postgres,
            convex: new ConvexReadPaths(options.convex),
          })
        : undefined,
    writeRouter: writeRouter ?? undefined,
    tokens: options.tokens,
    logger: options.logger,
    readiness: () => databaseReadiness(options.pool, options.convex ? convexProbe(options.convex, options.controlRoom?.mirror) : undefined),
    // The control-room page at `/`, beside whatever routes the caller adds.
    extraRoutes: async (scope) => {
      await registerDashboard(scope);
      await options.extraRoutes?.(scope);
    },
    controlRoom: room
      ? {
          room,
          secrets: secretsOf([...Object.keys(options.tokens), ...(options.controlRoom?.secrets ?? [])]),
        }
      : undefined,
  });
  if (flags) app.addHook('onClose', async () => flags.close());
  if (writeFlags) app.addHook('onClose', async () => writeFlags.close());
  if (room) {
    app.addHook('onClose', async () => room.stop());
    room.start();
  }
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address() as AddressInfo;
  return { app, deps, controlRoom: room, writeRouter, url: `http://${address.address}:${address.port}` };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
