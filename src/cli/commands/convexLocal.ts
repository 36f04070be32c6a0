/**
 * `tandem convex-local [--convex-dir <dir>]`: a LOCAL STAND-IN for a Convex
 * deployment (not Convex): the functions of any app's Convex folder (bundled
 * and loaded at start, docs/convex.md) run in-process with convex-test behind
 * Convex's HTTP API, for the demo and tests on a machine that cannot run a
 * real Convex backend.
 *
 * SIGTERM/SIGINT stop it at any moment, loading included (the load checks
 * the signal between chunks): mutations still queued are answered 503 and not
 * run, the running one finishes and is fsynced. Everything acknowledged is on
 * disk already, so if a stop ever took longer than STOP_DEADLINE_MS the process
 * exits anyway; that loses nothing a SIGKILL would not.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { createLocalConvex, generateAdminKey, LoadAbortedError, type LocalConvex } from '../../index.js';
import { nextStopSignal } from '../apiStack.js';
import { commandContext, projectConvexDir } from '../context.js';
import { numberBetween, parsePort, wholeNumber } from '../optionParsers.js';

const STOP_DEADLINE_MS = 900;

interface Flags {
  port: number;
  host?: string;
  dataDir?: string;
  adminKey?: string;
  convexDir?: string;
  failRate: number;
  latencyMs: number;
  timeoutRate: number;
  dropConnectionRate: number;
  queryFailRate: number;
  compactAt?: number;
  compactRatio?: number;
}

export function register(program: Command): void {
  program
    .command('convex-local')
    .description(
      'Serve a LOCAL STAND-IN for Convex (not Convex): a Convex folder\'s functions run by convex-test behind Convex\'s HTTP API',
    )
    .option('--convex-dir <dir>', 'the Convex functions folder to serve (default: convex.dir of the config, else ./convex)')
    .option('--port <port>', 'port', parsePort, 3210)
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'where acknowledged mutations are kept (default .tandem/convex-local)')
    .option('--admin-key <key>', 'the only admin key accepted (default: a new random key, printed)')
    .option('--fail-rate <r>', 'share of mutations answered with HTTP 500 without running', numberBetween(0, 1), 0)
    .option('--latency-ms <ms>', 'delay added to every response', wholeNumber(0, Number.POSITIVE_INFINITY, 'a whole number of milliseconds'), 0)
    .option('--timeout-rate <r>', 'share of mutations applied but never answered', numberBetween(0, 1), 0)
    .option('--drop-connection-rate <r>', 'share of mutations whose connection is dropped', numberBetween(0, 1), 0)
    .option('--query-fail-rate <r>', 'share of queries answered with HTTP 500 without running (failing Convex reads)', numberBetween(0, 1), 0)
    .option('--compact-at <bytes>', 'fold the log into a new snapshot once it holds at least this many bytes (default 64 MiB)', wholeNumber(1, Number.MAX_SAFE_INTEGER, 'a whole number of bytes'))
    .option('--compact-ratio <r>', 'and at least this multiple of the snapshot\'s size (default 1)', numberBetween(0, 1000))
    .action(async (flags: Flags) => {
      const ctx = await commandContext();
      const adminKey = flags.adminKey ?? generateAdminKey();
      const dataDir = path.resolve(flags.dataDir ?? path.join(ctx.config.home, 'convex-local'));
      const stopped = nextStopSignal();
      const stopping = new AbortController();
      void stopped.then(() => {
        stopping.abort();
        setTimeout(() => {
          process.stderr.write(`tandem convex-local: not stopped within ${STOP_DEADLINE_MS} ms; exiting (everything acknowledged is on disk)\n`);
          process.exit(0);
        }, STOP_DEADLINE_MS).unref();
      });
      const convexDir = flags.convexDir ? path.resolve(flags.convexDir) : projectConvexDir(ctx.project);
      let server: LocalConvex;
      try {
        server = await createLocalConvex({
          convexDir,
          dataDir,
          adminKey,
          logger: ctx.log,
          signal: stopping.signal,
          compaction: {
            ...(flags.compactAt !== undefined ? { minLogBytes: flags.compactAt } : {}),
            ...(flags.compactRatio !== undefined ? { logToSnapshotRatio: flags.compactRatio } : {}),
          },
          faults: {
            failRate: flags.failRate,
            latencyMs: flags.latencyMs,
            timeoutRate: flags.timeoutRate,
            dropConnectionRate: flags.dropConnectionRate,
            queryFailRate: flags.queryFailRate,
          },
        });
      } catch (err) {
        if (!(err instanceof LoadAbortedError)) throw err;
        process.stdout.write('tandem convex-local: stopped while loading the data dir (nothing changed)\n');
        return;
      }
      if (stopping.signal.aborted) {
        await server.close();
        return;
      }
      const { loaded } = server;
      const url = await server.listen(flags.port, flags.host ?? ctx.config.host);
      process.stdout.write(
        [
          `tandem convex-local: a local stand-in for Convex (not Convex) on ${url}`,
          `  functions: ${convexDir}`,
          `  data dir: ${dataDir} (${describeLoad(loaded)})`,
          `  CONVEX_URL=${url}`,
          `  CONVEX_DEPLOY_KEY=${adminKey}`,
          '',
        ].join('\n'),
      );
      await stopped;
      await server.close();
    });
}

function describeLoad(loaded: LocalConvex['loaded']): string {
  const parts = [`${loaded.documents} documents: ${loaded.snapshotDocuments} from the snapshot, ${loaded.logRecords} log records after it`];
  if (loaded.migratedMutations !== undefined) parts.push(`migrated from mutations.jsonl (${loaded.migratedMutations} calls replayed once)`);
  if (loaded.droppedTail) parts.push(`dropped a torn, never-acknowledged record: ${loaded.droppedTail.bytes} bytes at offset ${loaded.droppedTail.offset} of ${loaded.droppedTail.file}`);
  return parts.join('; ');
}
