/**
 * The embedded stack as `dev` and `demo` run it: PGlite over the wire protocol,
 * the local Convex stand-in (reached through its HTTP API, as a real deployment
 * would be), then the relay, the mirror helper, reverse sync (working while
 * some write group's writer is Convex) and the HTTP host over them (the
 * control room, metrics, and the application plug-in's routes when there is one).
 */
import type pg from 'pg';
import type { TokenEntry } from '../index.js';
import type { ToolSchema } from '../index.js';
import {
  HttpConvexTarget,
  PreparationKeeper,
  type ConvexFunctionRunner,
  type ConvexMutations,
  type ConvexTarget,
  type FunctionCaller,
  type ParityReader,
} from '../index.js';
import {
  changeLogSource,
  convexWriterGroups,
  convexWriterTables,
  createReverseSyncMetrics,
  reverseSyncLagByTable,
  createWriteCutoverMetrics,
  ReverseSyncService,
  WriteFlags,
} from '../index.js';
import { createLocalConvex, generateAdminKey } from '../index.js';
import type { Logger } from '../index.js';
import type { ApplicationPlugin, MirrorConfig, RelayOptions, RollbackPolicy, ShadowSettings } from '../index.js';
import { DEFAULT_ALERT_POLICY } from '../index.js';
import { planPhaseSources } from './phaseSources.js';
import { createPool } from '../index.js';
import { countConvexRows } from '../index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../index.js';
import { startApiStack, type RunningApi } from './apiStack.js';
import { startMirrorStack, type AlertingSettings, type MirrorStack } from './mirrorStack.js';

export interface EmbeddedStores {
  pg: EmbeddedPostgres;
  pool: pg.Pool;
  convexUrl: string;
  convexAdminKey: string;
  /** The Convex folder the stand-in serves. */
  convexDir: string;
  target: HttpConvexTarget;
  stop(): Promise<void>;
}

export async function startEmbeddedStores(options: {
  pgDataDir: string;
  convexDataDir: string;
  host: string;
  pgPort: number;
  convexPort: number;
  log: Logger;
  /** The app's Convex functions folder the stand-in serves. */
  convexDir: string;
  /**
   * Aborting stops the stand-in's load of its data dir, which then rejects
   * with LoadAbortedError (nothing changed on disk). Default: the process's
   * first SIGINT or SIGTERM while the stand-in loads.
   */
  signal?: AbortSignal;
}): Promise<EmbeddedStores> {
  const pg = await startEmbeddedPostgres({ dataDir: options.pgDataDir, host: options.host, port: options.pgPort });
  const pool = createPool(pg.url, 20);
  const convexAdminKey = generateAdminKey();
  const stopPostgres = async () => {
    await pool.end();
    await pg.stop();
  };
  const stopSignal = options.signal ? undefined : abortOnStopSignal();
  try {
    const convex = await createLocalConvex({
      convexDir: options.convexDir,
      dataDir: options.convexDataDir,
      adminKey: convexAdminKey,
      logger: options.log,
      signal: options.signal ?? stopSignal!.signal,
    }).finally(() => stopSignal?.done());
    const convexUrl = await convex.listen(options.convexPort, options.host).catch(async (err: unknown) => {
      await convex.close();
      throw err;
    });
    const target = new HttpConvexTarget({ url: convexUrl, adminKey: convexAdminKey, skipQueue: true });
    return {
      pg,
      pool,
      convexUrl,
      convexAdminKey,
      convexDir: options.convexDir,
      target,
      async stop() {
        await convex.close();
        await stopPostgres();
      },
    };
  } catch (err) {
    await stopPostgres();
    throw err;
  }
}

/**
 * Aborted by the process's first SIGINT or SIGTERM until `done()`. Loading a
 * large data dir takes seconds; the load checks its signal between chunks, so
 * a stop then ends the start within a second instead of after the load. The
 * command's own stop handling (its nextStopSignal) still sees the signal.
 */
function abortOnStopSignal(): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: controller.signal,
    done() {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

export interface Serving {
  mirror: MirrorStack;
  api: RunningApi;
  /** The write stages this process follows (the API's write router and reverse sync share them). */
  writeFlags: WriteFlags;
  /** Reverse sync: its worker runs while some write group's writer is Convex. */
  reverseSync: ReverseSyncService;
  stop(): Promise<void>;
}

/** What serving needs of the stores: a pool, a Convex deployment and the secrets never to show. */
export type ServingStores = Pick<EmbeddedStores, 'pool' | 'convexAdminKey'> & {
  /** The http target in `dev` and `demo`; any target that runs functions by path (tests: the embedded one). */
  target: ConvexTarget & ParityReader & ConvexMutations & FunctionCaller & ConvexFunctionRunner;
  pg: { url: string };
};

/**
 * Relay and mirror helper over the stores, reverse sync, and the HTTP host
 * (with /metrics: the mirror's, the write cutover's and reverse sync's), the
 * application writing through the helper.
 */
export async function startServing(
  stores: ServingStores,
  options: {
    /** The application whose routes are served, if any. */
    application: ApplicationPlugin | null;
    /** The mirrored tables (discovery). */
    mirror: MirrorConfig;
    /** Discovers the mirror again, so a schema change pauses its table (docs/relay.md). */
    discover?: () => Promise<MirrorConfig>;
    tokens: Record<string, TokenEntry>;
    port: number;
    host: string;
    mirrorWaitMs: number;
    log: Logger;
    /** Tandem's own schema (the project config's toolSchema). */
    tool: ToolSchema;
    /** Alert rules evaluated in this process (the stand-in's admin key is added to the secrets). */
    alerts?: AlertingSettings;
    /** Relay settings (retry budget, breaker…) other than the defaults. */
    relay?: Partial<RelayOptions>;
    /** Automatic read rollback rules (the project config's `cutover.rollback`); absent, none. */
    rollback?: RollbackPolicy;
    /** How shadow reads are compared (the project config's `cutover.shadow`); absent, the Reader's defaults. */
    shadow?: ShadowSettings;
  },
): Promise<Serving> {
  const flags = await WriteFlags.start({ pool: stores.pool, tool: options.tool, log: options.log });
  const source = changeLogSource(stores.target);
  const writerTables = () => convexWriterTables(flags);
  let mirror: MirrorStack;
  try {
    mirror = startMirrorStack({
      pool: stores.pool,
      tool: options.tool,
      target: stores.target,
      mirror: options.mirror,
      discover: options.discover,
      log: options.log,
      mirrorWaitMs: options.mirrorWaitMs,
      alerts: options.alerts && {
        policy: options.alerts.policy,
        config: { ...options.alerts.config, convexDeployKey: options.alerts.config.convexDeployKey ?? stores.convexAdminKey },
        // Only the tables Convex writes can lag; the others are 0 without asking Convex.
        reverseSyncLag: async (tables) => {
          const written = new Set(writerTables());
          return reverseSyncLagByTable(stores.pool, options.tool, source, tables.filter((t) => written.has(t)));
        },
      },
      relay: options.relay,
    });
  } catch (err) {
    await flags.close();
    throw err;
  }
  const registry = mirror.metrics.registry;
  let reverseSync: ReverseSyncService | undefined;
  let preparation: PreparationKeeper | undefined;
  const stopOwn = async () => {
    await preparation?.stop();
    await reverseSync?.stop();
    await flags.close();
    await mirror.stop();
  };
  try {
    const reverseMetrics = createReverseSyncMetrics(registry, options.tool, stores.pool, source, Date.now, {
      active: () => convexWriterGroups(flags).length > 0,
      tables: writerTables,
    });
    reverseSync = ReverseSyncService.start({
      tool: options.tool,
      pool: stores.pool,
      source,
      config: options.mirror,
      stages: flags,
      metrics: reverseMetrics,
      log: options.log,
    });
    // The application's Convex write paths kept supplied (reserved ids…) while a group writes there.
    const writeCutover = options.application?.writeCutover;
    if (writeCutover)
      preparation = PreparationKeeper.start({
        stages: flags,
        prepare: (tables) => writeCutover.prepare({ pool: stores.pool, tool: options.tool, schema: options.mirror.schema, convex: stores.target, tables }),
        log: options.log,
      });
    const api = await startApiStack({
      tool: options.tool,
      pool: stores.pool,
      application: options.application,
      tokens: options.tokens,
      logger: options.log,
      port: options.port,
      host: options.host,
      runner: mirror.runner,
      extraRoutes: (app) => mirror.metricsRoute(app),
      convex: stores.target,
      convexWrites: stores.target,
      writeFlags: flags,
      writeMetrics: createWriteCutoverMetrics(registry, { groups: () => flags.groups() }),
      metricsRegistry: registry,
      shadow: options.shadow,
      rollback: options.rollback && {
        policy: options.rollback,
        tables: options.mirror.tables.map((t) => t.name),
        alerts: mirror.alerts,
      },
      controlRoom: {
        mirror: options.mirror,
        convexRows: (table) => countConvexRows(stores.target, table),
        secrets: [stores.convexAdminKey, stores.pg.url],
        phaseSources: planPhaseSources(stores.pool, options.tool, options.alerts?.policy ?? DEFAULT_ALERT_POLICY),
      },
    });
    return {
      mirror,
      api,
      writeFlags: flags,
      reverseSync,
      async stop() {
        await api.app.close();
        await stopOwn();
      },
    };
  } catch (err) {
    await stopOwn();
    throw err;
  }
}
