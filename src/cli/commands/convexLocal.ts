/**
 * `tandem convex-local [--convex-dir <dir>]`: a LOCAL STAND-IN for a Convex
 * deployment (not Convex): the functions of any app's Convex folder (bundled
 * and loaded at start, docs/convex.md) run in-process with convex-test behind
 * Convex's HTTP API, for the demo and tests on a machine that cannot run a
 * real Convex backend.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { createLocalConvex, generateAdminKey } from '../../index.js';
import { nextStopSignal } from '../apiStack.js';
import { commandContext } from '../context.js';
import { numberBetween, parsePort, wholeNumber } from '../optionParsers.js';

interface Flags {
  port: number;
  host?: string;
  dataDir?: string;
  adminKey?: string;
  convexDir: string;
  failRate: number;
  latencyMs: number;
  timeoutRate: number;
  dropConnectionRate: number;
}

export function register(program: Command): void {
  program
    .command('convex-local')
    .description(
      'Serve a LOCAL STAND-IN for Convex (not Convex): a Convex folder\'s functions run by convex-test behind Convex\'s HTTP API',
    )
    .option('--convex-dir <dir>', 'the Convex functions folder to serve', 'convex')
    .option('--port <port>', 'port', parsePort, 3210)
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'where acknowledged mutations are kept (default .tandem/convex-local)')
    .option('--admin-key <key>', 'the only admin key accepted (default: a new random key, printed)')
    .option('--fail-rate <r>', 'share of mutations answered with HTTP 500 without running', numberBetween(0, 1), 0)
    .option('--latency-ms <ms>', 'delay added to every response', wholeNumber(0, Number.POSITIVE_INFINITY, 'a whole number of milliseconds'), 0)
    .option('--timeout-rate <r>', 'share of mutations applied but never answered', numberBetween(0, 1), 0)
    .option('--drop-connection-rate <r>', 'share of mutations whose connection is dropped', numberBetween(0, 1), 0)
    .action(async (flags: Flags) => {
      const ctx = await commandContext();
      const adminKey = flags.adminKey ?? generateAdminKey();
      const dataDir = path.resolve(flags.dataDir ?? path.join(ctx.config.home, 'convex-local'));
      const stopped = nextStopSignal();
      const convexDir = path.resolve(flags.convexDir);
      const server = await createLocalConvex({
        convexDir,
        dataDir,
        adminKey,
        logger: ctx.log,
        faults: {
          failRate: flags.failRate,
          latencyMs: flags.latencyMs,
          timeoutRate: flags.timeoutRate,
          dropConnectionRate: flags.dropConnectionRate,
        },
      });
      const url = await server.listen(flags.port, flags.host ?? ctx.config.host);
      process.stdout.write(
        [
          `tandem convex-local: a local stand-in for Convex (not Convex) on ${url}`,
          `  functions: ${convexDir}`,
          `  data dir: ${dataDir} (${server.replayed} mutations replayed)`,
          `  CONVEX_URL=${url}`,
          `  CONVEX_DEPLOY_KEY=${adminKey}`,
          '',
        ].join('\n'),
      );
      await stopped;
      await server.close();
    });
}
