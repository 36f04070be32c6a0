/**
 * `tandem demo`: the main job (`npm start`, on the story site's config). Runs
 * the whole path on embedded defaults — PGlite, the local Convex stand-in (not
 * Convex), the application's API — from sample data to a clean parity check,
 * prints a summary per table, and keeps serving until Ctrl-C. The application
 * is the config's plug-in (`app`): its schema and sample, its API, its traffic.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { requireApplication } from '../../index.js';
import { nextStopSignal } from '../apiStack.js';
import { commandContext, EXIT_FINDINGS, projectConvexDir } from '../context.js';
import { startDemo } from '../demo/runDemo.js';
import { tableProgress } from '../progress.js';
import { showProgress } from './backfill.js';
import { progressReporter } from './sample.js';
import { parsePort, positiveNumber, wholeNumber } from '../optionParsers.js';

interface DemoFlags {
  scale: number;
  rounds: number;
  seed?: string;
  port?: number;
  pgPort?: number;
  convexPort?: number;
  exit?: boolean;
  toTheEnd?: boolean;
  src?: string[];
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('Run the whole path on embedded defaults: sample, capture, plan, backfill, live traffic, relay, parity')
    .option('--scale <s>', 'sample data scale', positiveNumber(), 0.02)
    .option('--rounds <n>', 'rounds of API traffic over every write path', wholeNumber(), 3)
    .option('--seed <n>', "seed for sample data and traffic (default: the application's)")
    .option('--port <port>', 'API port (default TANDEM_API_PORT or 4000)', parsePort)
    .option('--pg-port <port>', 'Postgres wire-protocol port (default TANDEM_PG_PORT or 54329)', parsePort)
    .option('--convex-port <port>', 'local Convex stand-in port (default TANDEM_CONVEX_PORT or 3210)', parsePort)
    .option('--exit', 'stop after the summary instead of serving until Ctrl-C')
    .option(
      '--to-the-end',
      'then take every table to the end of the plan: reads and writes to Convex group by group in dependency order, then freeze, archive and decommission, checked after each step',
    )
    .option(
      '--src <paths...>',
      "with --to-the-end, the sources the guard scans before each decommission (default: the project's Convex folder, the application's sources once its Postgres paths are gone)",
    )
    .action(async (flags: DemoFlags) => {
      const ctx = await commandContext();
      const { config } = ctx;
      const application = await requireApplication(ctx.project, 'demo', ['sample', 'http', 'demoTraffic']);
      const seed = flags.seed === undefined ? application.sample.defaultSeed : Number(flags.seed);
      const planned = application.sample.plannedCounts(flags.scale);
      // The demo's own output tells the story; per-request logs only at the level asked for.
      const log = config.logLevel === 'info' ? ctx.log.child({}, { level: 'warn' }) : ctx.log;
      const stopped = nextStopSignal();
      let signalled = false;
      void stopped.then(() => {
        signalled = true;
        process.stderr.write('tandem demo: stopping after the current step (Ctrl-C again to abort)\n');
      });
      const sampleProgress = progressReporter(planned);
      const backfillProgress = tableProgress('backfill');
      const demo = await startDemo({
        home: path.join(config.home, 'demo'),
        project: ctx.project,
        application,
        scale: flags.scale,
        seed,
        rounds: flags.rounds,
        host: config.host,
        pgPort: flags.pgPort ?? config.devPgPort,
        apiPort: flags.port ?? config.apiPort,
        convexPort: flags.convexPort ?? config.convexLocalPort,
        mirrorWaitMs: config.mirrorWaitMs,
        log,
        out: (text) => process.stdout.write(text),
        onSampleProgress: sampleProgress.update,
        onBackfillProgress: showProgress(backfillProgress),
        toTheEnd: flags.toTheEnd,
        guardSources: flags.src ?? [projectConvexDir(ctx.project)],
        onStepDone: () => {
          sampleProgress.stop();
          backfillProgress.stop();
        },
      });
      const { parity, invariants, toTheEnd } = demo.summary;
      const endClean = toTheEnd?.steps.every((s) => s.drift === 0 && s.invariantsClean) ?? true;
      if (!parity.clean || !invariants.clean || !endClean) process.exitCode = EXIT_FINDINGS;
      if (!flags.exit && !signalled) {
        process.stdout.write('\nServing until Ctrl-C.\n');
        await stopped;
      }
      await demo.stop();
    });
}
