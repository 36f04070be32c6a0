/**
 * `tandem dev`: the embedded stack in one process. PGlite (persisted under
 * .tandem/) is served over the Postgres wire protocol so that every other
 * command, and any Postgres client, can connect while it runs; the HTTP host
 * (control room, metrics, and the application plug-in's API when the config
 * names one in `app`) runs beside it, writes mirrored through the relay into a
 * local Convex stand-in. A discovery file tells other commands where they are.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { migrate } from '../../index.js';
import { discoverMirror } from '../../index.js';
import type { TokenEntry } from '../../index.js';
import { ConfigError, ConflictError, loadApplication, requireApplication, type ApplicationSample } from '../../index.js';
import { embeddedDataDir, type createPool } from '../../index.js';
import { readDevStack, removeDevStack, writeDevStack } from '../../index.js';
import { nextStopSignal } from '../apiStack.js';
import { startEmbeddedStores, startServing } from '../embeddedStack.js';
import { commandContext, projectConvexDir } from '../context.js';
import { progressReporter } from './sample.js';
import { parsePort, positiveNumber } from '../optionParsers.js';

/**
 * Used only when TANDEM_API_TOKENS is not set, and only by the dev stack, which
 * listens on localhost: lets a developer try every write path at once.
 */
export const DEV_TOKENS: Record<string, TokenEntry> = {
  'dev-reader-token': { userId: 1, role: 'reader' },
  'dev-editor-token': { userId: 2, role: 'editor' },
  'dev-admin-token': { userId: 3, role: 'admin' },
};

interface DevFlags {
  convexPort?: number;
  pgPort?: number;
  port?: number;
  host?: string;
  sample?: number;
  seed?: string;
  convexDir?: string;
}

export function register(program: Command): void {
  program
    .command('dev')
    .description("Run the embedded stack: PGlite over the Postgres wire protocol, the Convex stand-in, the relay, the control room and the application's API")
    .option('--pg-port <port>', 'Postgres wire-protocol port (default TANDEM_PG_PORT or 54329)', parsePort)
    .option('--port <port>', 'API port (default TANDEM_API_PORT or 4000)', parsePort)
    .option('--convex-port <port>', 'local Convex stand-in port (default TANDEM_CONVEX_PORT or 3210)', parsePort)
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--sample <scale>', "fill empty tables with the application's sample data at this scale first", positiveNumber('not a positive number'))
    .option('--seed <n>', "sample data seed (default: the application's)")
    .option('--convex-dir <dir>', 'the Convex folder the stand-in serves (default: convex.dir of the config, else ./convex)')
    .action(async (flags: DevFlags) => {
      const ctx = await commandContext();
      const { config } = ctx;
      if (config.databaseUrl) {
        throw new ConfigError('DATABASE_URL', 'dev runs the embedded stack; unset it, or use `tandem serve` against that server');
      }
      const running = readDevStack(config.home);
      if (running) throw new ConflictError(`a dev stack is already running (pid ${running.pid}, ${running.pgUrl})`);
      const host = flags.host ?? config.host;
      const stopped = nextStopSignal();
      const dataDir = embeddedDataDir(config.home);
      const project = ctx.project;
      // Refused before anything starts: --sample needs the application's generator.
      const application =
        flags.sample !== undefined ? await requireApplication(project, 'dev --sample', ['sample']) : await loadApplication(project);
      const stores = await startEmbeddedStores({
        pgDataDir: dataDir,
        convexDataDir: path.join(config.home, 'convex-local'),
        host,
        pgPort: flags.pgPort ?? config.devPgPort,
        convexPort: flags.convexPort ?? config.convexLocalPort,
        log: ctx.log,
        convexDir: flags.convexDir ? path.resolve(flags.convexDir) : projectConvexDir(project),
      });
      try {
        await migrate(stores.pool, ctx.tool);
        if (flags.sample !== undefined && application?.sample) {
          const seed = flags.seed === undefined ? application.sample.defaultSeed : Number(flags.seed);
          await fillSample(stores.pool, application.sample, flags.sample, seed);
        } else await application?.createSchema?.(stores.pool);
        const { mirror } = await discoverMirror(stores.pool, project);
        const tokens = Object.keys(config.apiTokens).length > 0 ? config.apiTokens : DEV_TOKENS;
        const serving = await startServing(stores, {
          tool: ctx.tool,
          application,
          mirror,
          discover: async () => (await discoverMirror(stores.pool, project)).mirror,
          tokens,
          port: flags.port ?? config.apiPort,
          host,
          mirrorWaitMs: config.mirrorWaitMs,
          log: ctx.log,
          alerts: { policy: project.alerts, config: { ...config, apiTokens: tokens } },
          rollback: project.cutover.rollback,
          shadow: project.cutover.shadow,
        });
        try {
          writeDevStack(config.home, {
            pid: process.pid,
            pgUrl: stores.pg.url,
            apiUrl: serving.api.url,
            convexUrl: stores.convexUrl,
            convexAdminKey: stores.convexAdminKey,
            startedAt: new Date().toISOString(),
          });
          printBanner({
            configFile: project.file ?? '(none)',
            pgUrl: stores.pg.url,
            apiUrl: serving.api.url,
            apiEntry: serving.api.application?.entry ?? null,
            convexUrl: stores.convexUrl,
            convexDir: stores.convexDir,
            dataDir,
            devTokens: tokens === DEV_TOKENS,
          });
          const signal = await stopped;
          ctx.log.info({ signal }, 'stopping dev stack');
        } finally {
          removeDevStack(config.home);
          await serving.stop();
        }
      } finally {
        await stores.stop();
      }
    });
}

async function fillSample(
  pool: ReturnType<typeof createPool>,
  sample: ApplicationSample,
  scale: number,
  seed: number,
): Promise<void> {
  const progress = progressReporter(sample.plannedCounts(scale));
  try {
    await sample.generate(pool, { scale, seed, onProgress: progress.update });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    process.stderr.write('tandem dev: the tables already hold data; keeping it (no sample generated)\n');
  } finally {
    progress.stop();
  }
}

function printBanner(p: {
  configFile: string;
  pgUrl: string;
  apiUrl: string;
  apiEntry: string | null;
  convexUrl: string;
  convexDir: string;
  dataDir: string;
  devTokens: boolean;
}): void {
  const { apiUrl, devTokens } = p;
  const lines = [
    'tandem dev stack is running (Ctrl-C stops it)',
    `  Postgres (PGlite, data in ${p.dataDir}): ${p.pgUrl}`,
    `  Control room: ${apiUrl}/`,
    `  API:     ${p.apiEntry ? `${apiUrl}${p.apiEntry}   ` : ''}OpenAPI: ${apiUrl}/api/openapi.json   metrics: ${apiUrl}/metrics`,
    `  Convex:  ${p.convexUrl} (a local stand-in running ${p.convexDir} with convex-test, not Convex)`,
    `  Config:  ${p.configFile} (other commands: export TANDEM_CONFIG=${p.configFile})`,
    '  Mirroring: run `npx tandem capture install` to capture writes; the relay here applies them.',
    '  Reverse sync: runs here while a write group writes to Convex (`tandem flags set <group> --writes convex`).',
  ];
  if (devTokens) {
    lines.push('  Dev tokens (TANDEM_API_TOKENS not set):');
    for (const [token, entry] of Object.entries(DEV_TOKENS)) lines.push(`    ${entry.role.padEnd(6)} user ${entry.userId}: Bearer ${token}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
