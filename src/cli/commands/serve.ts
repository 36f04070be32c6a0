/**
 * `tandem serve`: Tandem's HTTP host over the configured database — the control
 * room, liveness and readiness, and the application's API when the project
 * config names its plug-in (`app`; reads routed by the read stages when a
 * Convex target is configured) — until SIGINT or SIGTERM; then the server stops
 * taking requests, finishes the ones in flight, and the database is closed.
 * With a Convex target and Tandem's schema current, reverse sync runs here too
 * while some write group's writer is Convex (several `serve` processes, or a
 * `tandem reverse-sync run` beside them, take turns on the cursor row).
 */
import type { Command } from 'commander';
import {
  ConfigError,
  checkPolicyTables,
  countConvexRows,
  loadApplication,
  changeLogSource,
  openConvexTarget,
  PreparationKeeper,
  requireSchema,
  ReverseSyncService,
  WriteFlags,
  schemaStatus,
  startAlerting,
  type AlertMonitor,
  type ApplicationPlugin,
  type Config,
  type Database,
} from '../../index.js';
import { nextStopSignal, startApiStack, type ApiStackOptions } from '../apiStack.js';
import { commandContext, discover, phaseSources, withDatabase, type CommandContext } from '../context.js';
import { parsePort } from '../optionParsers.js';

/**
 * The Convex deployment reads may move to (CONVEX_URL, else a running dev
 * stack's stand-in); with none, every read stays on Postgres. A CONVEX_URL
 * without its key is still an error.
 */
function convexForReads(config: Config) {
  try {
    return openConvexTarget(config);
  } catch (err) {
    if (err instanceof ConfigError && !config.convexUrl) return undefined;
    throw err;
  }
}

/**
 * Alert rules over the mirrored tables, when the tool's schema is installed
 * (an API over a database Tandem does not manage yet has nothing to watch).
 */
async function alertingFor(ctx: CommandContext, db: Database): Promise<AlertMonitor | undefined> {
  try {
    await requireSchema(db.pool, ctx.tool);
  } catch (err) {
    ctx.log.info({ reason: (err as Error).message }, 'alert rules not evaluated');
    return undefined;
  }
  const tables = (await discover(ctx, db)).mirror.tables.map((t) => t.name);
  checkPolicyTables(ctx.project.alerts, tables);
  return startAlerting({ tool: ctx.tool, pool: db.pool, policy: ctx.project.alerts, tables: () => tables, config: ctx.config, log: ctx.log });
}

/**
 * Reverse sync over the discovered tables, with the write stages it follows
 * (shared with the API's write router), when a Convex target is configured
 * and Tandem's schema is current.
 */
async function reverseSyncFor(
  ctx: CommandContext,
  db: Database,
  convex: ReturnType<typeof convexForReads>,
  schemaCurrent: boolean,
  application: ApplicationPlugin | null,
): Promise<{ flags: WriteFlags; service: ReverseSyncService; stop(): Promise<void> } | undefined> {
  if (!convex || !schemaCurrent) return undefined;
  const flags = await WriteFlags.start({ pool: db.pool, tool: ctx.tool, log: ctx.log });
  const service = ReverseSyncService.start({
    tool: ctx.tool,
    pool: db.pool,
    source: changeLogSource(convex),
    config: (await discover(ctx, db)).mirror,
    stages: flags,
    log: ctx.log,
  });
  // The application's Convex write paths kept supplied (reserved ids…) while a group writes there.
  const writeCutover = application?.writeCutover;
  const preparation = writeCutover
    ? PreparationKeeper.start({
        stages: flags,
        prepare: (tables) => writeCutover.prepare({ pool: db.pool, tool: ctx.tool, schema: ctx.project.schema, convex, tables }),
        log: ctx.log,
      })
    : undefined;
  return {
    flags,
    service,
    async stop() {
      await preparation?.stop();
      await service.stop();
      await flags.close();
    },
  };
}

/**
 * The control room over the discovered tables, when Tandem's schema is
 * current; without it there is nothing to show yet, and the API still serves.
 */
async function controlRoomFor(
  ctx: CommandContext,
  db: Database,
  convex: ReturnType<typeof convexForReads>,
): Promise<ApiStackOptions['controlRoom']> {
  const status = await schemaStatus(db.pool, ctx.tool);
  if (status.pending.length > 0 || status.current > status.latest) {
    ctx.log.warn('control room off: Tandem\'s schema is not current (run `npx tandem init`)');
    return undefined;
  }
  const { mirror } = await discover(ctx, db);
  return {
    mirror,
    convexRows: convex ? (table) => countConvexRows(convex, table) : undefined,
    secrets: [ctx.config.convexDeployKey, ctx.config.databaseUrl, db.describe],
    phaseSources: phaseSources(ctx, db.pool),
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description("Serve the control room and the application's API (the config's app plug-in; OpenAPI at /api/openapi.json) until stopped")
    .option('--port <port>', 'TCP port (default TANDEM_API_PORT or 4000)', parsePort)
    .option('--host <host>', 'interface to listen on (default TANDEM_HOST or 127.0.0.1)')
    .action(async (opts: { port?: number; host?: string }) => {
      const ctx = await commandContext();
      const application = await loadApplication(ctx.project);
      const stopped = nextStopSignal();
      await withDatabase(ctx, async (db) => {
        const alerts = await alertingFor(ctx, db);
        const convex = convexForReads(ctx.config);
        const controlRoom = await controlRoomFor(ctx, db, convex);
        const reverseSync = await reverseSyncFor(ctx, db, convex, controlRoom !== undefined, application);
        const api = await startApiStack({
          tool: ctx.tool,
          pool: db.pool,
          application,
          tokens: ctx.config.apiTokens,
          logger: ctx.log,
          port: opts.port ?? ctx.config.apiPort,
          host: opts.host ?? ctx.config.host,
          convex,
          convexWrites: convex,
          writeFlags: reverseSync?.flags,
          controlRoom,
          shadow: ctx.project.cutover.shadow,
          // The rules need the mirrored tables, known once Tandem's schema is current (as for the control room).
          rollback: controlRoom && {
            policy: ctx.project.cutover.rollback,
            tables: controlRoom.mirror.tables.map((t) => t.name),
            alerts,
          },
        }).catch(async (err: unknown) => {
          await reverseSync?.stop();
          throw err;
        });
        try {
          const served = application ? `${application.name} API` : 'API (no application plug-in: control room and system routes)';
          process.stdout.write(`tandem: ${served} on ${api.url} (database: ${db.describe})\n`);
          if (api.controlRoom) process.stdout.write(`tandem: control room on ${api.url}/ (API: ${api.url}/api/control/overview)\n`);
          const signal = await stopped;
          ctx.log.info({ signal }, 'stopping API server');
        } finally {
          await api.app.close();
          await reverseSync?.stop();
          await alerts?.stop();
        }
      });
    });
}
