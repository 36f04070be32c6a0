/**
 * The embedded stack as `dev` and `demo` run it: PGlite over the wire protocol,
 * the local Convex stand-in (reached through its HTTP API, as a real deployment
 * would be), then the relay, the mirror helper and the HTTP host over them (the
 * control room, metrics, and the application plug-in's routes when there is one).
 */
import type pg from 'pg';
import type { TokenEntry } from '../index.js';
import type { ToolSchema } from '../index.js';
import { HttpConvexTarget } from '../index.js';
import { createLocalConvex, generateAdminKey } from '../index.js';
import type { Logger } from '../index.js';
import type { ApplicationPlugin, MirrorConfig, RelayOptions } from '../index.js';
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
  stop(): Promise<void>;
}

/** Relay and mirror helper over the stores, and the HTTP host (with /metrics), the application writing through the helper. */
export async function startServing(
  stores: EmbeddedStores,
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
  },
): Promise<Serving> {
  const mirror = startMirrorStack({
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
    },
    relay: options.relay,
  });
  try {
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
      async stop() {
        await api.app.close();
        await mirror.stop();
      },
    };
  } catch (err) {
    await mirror.stop();
    throw err;
  }
}
