/**
 * Benchmark: the relay and the backfill in 1, 2 and 3 processes at once,
 * coordinated only through Postgres (relay claims; per-table backfill locks),
 * on one database of the real PostgreSQL server, into a counting target after
 * a modeled round trip (no Convex). Each process is a child started with the
 * others on one signal once all are loaded; the time is from that signal to
 * the last one's exit.
 *
 * Relay: --small story_done inserts (100 per transaction) captured through
 * the real trigger, drained by P processes of --workers workers each (events
 * put back to pending between runs). Backfill: `generateSample` at --scale,
 * every table copied by P processes (state cleared between runs); the
 * processes share the tables, one table per process at a time, so the largest
 * table (story_done) bounds the time whatever P.
 *
 *   npx tsx bench/processScaling.ts [--small 40000] [--scale 0.5] [--workers 2] [--latency 20] [--processes 1,2,3]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { installCapture } from '../src/capture/index.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { fillSmallEvents, resetOutbox } from './support/fillOutbox.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed, markdownTable } from './support/stats.js';
import { storySiteCapture } from '../test/support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values: args } = parseArgs({
  options: {
    small: { type: 'string', default: '40000' },
    scale: { type: 'string', default: '0.5' },
    workers: { type: 'string', default: '2' },
    latency: { type: 'string', default: '20' },
    processes: { type: 'string', default: '1,2,3' },
  },
});
const PROCESSES = args.processes.split(',').map(Number);
const root = path.resolve(import.meta.dirname, '..');

interface Run {
  role: 'relay' | 'backfill';
  processes: number;
  seconds: number;
  /** Events (relay) or rows (backfill) each process handled. */
  perProcess: number[];
}

/** Starts `count` children, lets them go together once all are loaded, and times them to the last exit. */
async function runProcesses(role: Run['role'], count: number, url: string): Promise<Run> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', 'bench/support/scaleChild.ts', role, url, args.latency, args.workers], {
      cwd: root,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' },
    }),
  );
  const outputs = children.map(() => ({ stdout: '', stderr: '' }));
  const exits = children.map(
    (child, i) =>
      new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => (outputs[i]!.stdout += String(d)));
        child.stderr.on('data', (d) => (outputs[i]!.stderr += String(d)));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${role} child ${i} exited ${code}: ${outputs[i]!.stderr}`))));
      }),
  );
  while (!outputs.every((o) => o.stdout.includes('ready\n'))) await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  for (const child of children) child.stdin.write('go\n');
  await Promise.all(exits);
  const seconds = (performance.now() - started) / 1000;
  const perProcess = outputs.map((o) => {
    const done = JSON.parse(o.stdout.split('\n').find((l) => l.startsWith('done '))!.slice(5)) as { events?: number; rows?: number };
    return done.events ?? done.rows ?? 0;
  });
  return { role, processes: count, seconds, perProcess };
}

async function relayRuns(db: BenchDatabase): Promise<Run[]> {
  await db.pool.query('TRUNCATE tandem.outbox');
  await fillSmallEvents(db.pool, Number(args.small), 100);
  const runs: Run[] = [];
  for (const p of PROCESSES) {
    await resetOutbox(db.pool);
    runs.push(await runProcesses('relay', p, db.url));
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tandem.outbox WHERE status <> 'done'`);
    if (rows[0]!.n !== 0) throw new Error(`relay with ${p} processes left ${rows[0]!.n} events not done`);
  }
  return runs;
}

async function backfillRuns(db: BenchDatabase): Promise<Run[]> {
  const runs: Run[] = [];
  for (const p of PROCESSES) {
    await db.pool.query('DELETE FROM tandem.backfill_state');
    runs.push(await runProcesses('backfill', p, db.url));
  }
  return runs;
}

async function main(): Promise<void> {
  await withBenchDatabases(1, 8, async ([db]) => {
    printMachine(await describeMachine(db!.pool));
    process.stdout.write(
      `process scaling: target = counting target after a modeled ${args.latency} ms round trip (no Convex); ` +
        `relay: ${args.small} small events, ${args.workers} workers per process; backfill: sample at scale ${args.scale}\n`,
    );
    await migrate(db!.pool, DEFAULT_TOOL_SCHEMA);
    await generateSample(db!.pool, { scale: Number(args.scale), seed: 1 });
    await installCapture(db!.pool, { ...storySiteCapture(), actor: 'bench' });
    const runs = [...(await relayRuns(db!)), ...(await backfillRuns(db!))];
    const base = new Map(runs.filter((r) => r.processes === PROCESSES[0]).map((r) => [r.role, r]));
    process.stdout.write('\n');
    process.stdout.write(
      markdownTable(
        ['what', 'processes', 'seconds', 'per second', `vs ${PROCESSES[0]} process(es)`, 'handled by each process'],
        runs.map((r) => {
          const total = r.perProcess.reduce((a, b) => a + b, 0);
          const first = base.get(r.role)!;
          const firstRate = first.perProcess.reduce((a, b) => a + b, 0) / first.seconds;
          return [
            r.role === 'relay' ? 'relay events' : 'backfill rows',
            String(r.processes),
            fixed(r.seconds, 1),
            fixed(total / r.seconds, 0),
            `${fixed(total / r.seconds / firstRate, 2)}x`,
            r.perProcess.join(' / '),
          ];
        }),
      ),
    );
    process.stdout.write(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
