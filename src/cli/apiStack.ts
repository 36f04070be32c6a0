/**
 * Builds and starts Tandem's HTTP host over a pool — the control room, system
 * routes and metrics, and the application plug-in's routes when there is one —
 * shared by `serve`, `dev` and `demo`, so all of them serve the same thing.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { createApiServer, databaseReadiness, type ApiServerOptions, type ConvexProbe } from '../index.js';
import type { ApplicationHttp, ApplicationPlugin, ParityReader, WriteRunner } from '../index.js';
import type { ToolSchema } from '../index.js';
import { ReadFlags, registerDashboard, type TokenEntry, type Logger } from '../index.js';
import { WriteFlags, trimScratchChangeLog, type ConvexMutations, type FunctionCaller, type WriteCutoverMetrics } from '../index.js';
import { ControlRoom, postgresAlertSource, secretsOf, type ConvexRowCounter } from '../index.js';
import type { MirrorConfig, PhaseSources } from '../index.js';
import { AutoRollback, ReadStats, ShadowRecorder, createCutoverMetrics, type AlertRaiser, type RollbackPolicy, type ShadowSettings } from '../index.js';

type ConvexQueryRunner = Pick<ParityReader, 'query'>;

export interface ApiStackOptions {
  pool: pg.Pool;
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  /** The application whose routes are served (its `http`); without one, the control room and system routes only. */
  application?: ApplicationPlugin | null;
  tokens: Record<string, TokenEntry>;
  logger: Logger;
  port: number;
  host: string;
  /** How the application's writes run when mirroring is on (the mirror helper); else its own transactions. */
  runner?: WriteRunner;
  extraRoutes?: ApiServerOptions['extraRoutes'];
  /**
   * Where Convex reads go. Given, the application's reads are routed by the read
   * stages in the tool's schema (`tandem flags`); absent, every read is Postgres's.
   */
  convex?: ConvexQueryRunner;
  /**
   * Where Convex writes go. Given, the application's writes are routed by their
   * write group's stage in the tool's schema (`tandem flags --writes`,
   * docs/write-cutover.md); absent, every write is Postgres's.
   */
  convexWrites?: ConvexMutations;
  /**
   * A scratch deployment the writes of groups at `convex-shadow` are compared
   * on (else counted skipped). Its change log is trimmed as it goes
   * (trimScratchChangeLog): it never reaches Postgres.
   */
  convexShadow?: ConvexMutations & FunctionCaller;
  writeMetrics?: WriteCutoverMetrics;
  /**
   * Where the read cutover's metrics go. Given, the caller serves it at
   * /metrics (with its own); absent, the stack makes one and serves it there.
   */
  metricsRegistry?: Registry;
  /**
   * The automatic read rollback (the project config's `cutover.rollback`) over
   * the mirrored `tables`, run while reads are routed and stopped with the
   * stack; `alerts` also hears each rollback (the alert monitor).
   */
  rollback?: { policy: RollbackPolicy; tables: readonly string[]; alerts?: AlertRaiser };
  /** How the application's shadow reads are compared (the project config's `cutover.shadow`); default the Reader's. */
  shadow?: ShadowSettings;
  /** The write stages the caller already follows (shared with its reverse sync); else the stack starts its own. */
  writeFlags?: WriteFlags;
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
  /** The application's part, when one is served (its `entry` path names its API). */
  application: ApplicationHttp | null;
  controlRoom: ControlRoom | null;
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

/**
 * What the application's reader records into (shadow results, metrics on
 * `registry`, read stats) and the automatic rollback monitor reading those
 * stats, when the options carry rollback rules.
 */
function readCutover(options: ApiStackOptions, flags: ReadFlags, registry: Registry) {
  const rollback = options.rollback;
  const stats = new ReadStats((rollback?.policy.windowSeconds ?? 60) * 1000);
  const metrics = createCutoverMetrics(registry);
  // Built before the recorder: a rule naming an unmirrored table is refused with nothing started.
  const monitor = rollback
    ? new AutoRollback({
        tool: options.tool,
        pool: options.pool,
        flags,
        stats,
        policy: rollback.policy,
        tables: rollback.tables,
        metrics,
        alerts: rollback.alerts,
        log: options.logger,
      })
    : null;
  const recorder = new ShadowRecorder(options.pool, { tool: options.tool, log: options.logger });
  const shadow = options.shadow ?? { sampleRates: {} };
  return { context: { flags, convex: options.convex!, shadow, recorder, metrics, stats }, monitor };
}

export async function startApiStack(options: ApiStackOptions): Promise<RunningApi> {
  const serveApp = options.application?.http;
  const flags = serveApp && options.convex ? await ReadFlags.start({ pool: options.pool, tool: options.tool, log: options.logger }) : null;
  const registry = options.metricsRegistry ?? new Registry();
  let reads: ReturnType<typeof readCutover> | null;
  try {
    reads = flags ? readCutover(options, flags, registry) : null;
  } catch (err) {
    await flags?.close();
    throw err;
  }
  const ownWriteFlags = serveApp && options.convexWrites && !options.writeFlags;
  const writeFlags =
    serveApp && options.convexWrites
      ? (options.writeFlags ?? (await WriteFlags.start({ pool: options.pool, tool: options.tool, log: options.logger })))
      : null;
  const shadow = options.convexShadow && trimScratchChangeLog(options.convexShadow, { log: options.logger });
  let application: ApplicationHttp | null;
  try {
    application = serveApp
      ? serveApp({
          pool: options.pool,
          tool: options.tool,
          log: options.logger,
          runner: options.runner,
          reads: reads?.context,
          writes:
            writeFlags && options.convexWrites
              ? { stages: writeFlags, convex: options.convexWrites, shadow, metrics: options.writeMetrics }
              : undefined,
        })
      : null;
  } catch (err) {
    // The application refused its settings (e.g. a sample rate for a read it does not have): nothing stays running.
    await reads?.context.recorder.close();
    await flags?.close();
    if (ownWriteFlags) await writeFlags?.close();
    throw err;
  }
  const room = options.controlRoom
    ? new ControlRoom({
        pool: options.pool,
        tool: options.tool,
        mirror: options.controlRoom.mirror,
        log: options.logger,
        convexRows: options.controlRoom.convexRows,
        alerts: postgresAlertSource(options.pool, options.tool),
        phaseSources: options.controlRoom.phaseSources,
      })
    : null;
  const app = createApiServer({
    application: application ?? undefined,
    tokens: options.tokens,
    logger: options.logger,
    readiness: () => databaseReadiness(options.pool, options.tool, options.convex ? convexProbe(options.convex, options.controlRoom?.mirror) : undefined),
    // The control-room page at `/`, beside whatever routes the caller adds.
    extraRoutes: async (scope) => {
      await registerDashboard(scope);
      if (!options.metricsRegistry)
        scope.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
          reply.header('content-type', registry.contentType);
          return registry.metrics();
        });
      await options.extraRoutes?.(scope);
    },
    controlRoom: room
      ? {
          room,
          secrets: secretsOf([...Object.keys(options.tokens), ...(options.controlRoom?.secrets ?? [])]),
        }
      : undefined,
  });
  if (reads) {
    app.addHook('onClose', async () => {
      await reads.monitor?.stop();
      await reads.context.recorder.close();
    });
    reads.monitor?.start();
  }
  if (flags) app.addHook('onClose', async () => flags.close());
  if (writeFlags && ownWriteFlags) app.addHook('onClose', async () => writeFlags.close());
  if (room) {
    app.addHook('onClose', async () => room.stop());
    room.start();
  }
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address() as AddressInfo;
  return { app, application, controlRoom: room, url: `http://${address.address}:${address.port}` };
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
