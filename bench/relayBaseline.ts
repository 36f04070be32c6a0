/**
 * Benchmark: the relay's small-event rate at this commit against a baseline
 * commit, in the same run and the same process. The machine is shared and its
 * speed drifts by 2x within minutes, so figures from different runs cannot be
 * compared; this one fills one database per version once, then alternates
 * drains (baseline, current, current, baseline, ...) so drift hits both alike,
 * and prints the ratio of their medians.
 *
 * Beside the rate it prints what each drain cost in CPU: the Node process
 * (process.cpuUsage) plus the Postgres backends serving the drain (utime +
 * stime from /proc/<pid>/stat of the database's backends), per 1,000 events.
 * Under heavy load the rate says how much CPU the drain was given; the CPU
 * cost says how much it needed, which is what the rate on a dedicated machine
 * follows.
 *
 * The baseline's files are taken with `git archive` into a temporary folder
 * (node_modules linked in; the repository itself is not touched) and its own
 * modules (relay, migrations, capture, bench support) are imported from
 * there, against its own schema in a database of its own. Default baseline:
 * the commit before the relay's claims moved out of the outbox rows (the
 * parent of the commit that added the relay_claims migration), i.e.
 * per-event lease writes.
 *
 *   npx tsx bench/relayBaseline.ts [--baseline <rev>] [--rounds 4] [--small 40000] [--workers 4] [--latency 20]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed, markdownTable } from './support/stats.js';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    small: { type: 'string', default: '40000' },
    workers: { type: 'string', default: '4' },
    latency: { type: 'string', default: '20' },
  },
});
const WORKERS = Number(args.workers);

function git(...argv: string[]): string {
  const run = spawnSync('git', argv, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`git ${argv.join(' ')}: ${run.stderr.trim()}`);
  return run.stdout.trim();
}

/** The parent of the commit that added the relay_claims migration (the per-event lease design). */
function defaultBaseline(): string {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'src/postgres/migrations/*_relay_claims.sql')
    .split('\n')
    .filter(Boolean)
    .at(-1);
  if (!added) throw new Error('no commit adds a *_relay_claims.sql migration; pass --baseline <rev>');
  return `${added}^`;
}

function extractBaseline(rev: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-relay-baseline-'));
  const archive = spawnSync('git', ['archive', '--format=tar', rev], { cwd: root, maxBuffer: 512 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${rev}: ${archive.stderr.toString().trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr.toString().trim()}`);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** The modules one version's drain needs, imported from that version's tree. */
interface Version {
  name: 'baseline' | 'current';
  commit: string;
  migrate(pool: pg.Pool): Promise<unknown>;
  prepare(pool: pg.Pool): Promise<void>;
  fill(pool: pg.Pool): Promise<void>;
  reset(pool: pg.Pool): Promise<void>;
  drain(pool: pg.Pool): Promise<{ applied: number; retried: number; dead: number }>;
}

async function loadVersion(name: Version['name'], dir: string, commit: string): Promise<Version> {
  const load = (file: string) => import(path.join(dir, file)) as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  // Trees from before the story site became an example keep its sample under src/; trees since the
  // tool schema came from the config take it as an argument (older ones ignore the extra one).
  const has = (file: string) => fs.existsSync(path.join(dir, file));
  const samplePath = has('examples/story-site/src/app/sample/generateSample.ts')
    ? 'examples/story-site/src/app/sample/generateSample.ts'
    : 'src/app/sample/generateSample.ts';
  const tool = has('src/core/toolSchema.ts') ? (await load('src/core/toolSchema.ts')).DEFAULT_TOOL_SCHEMA : undefined;
  const [migrations, sample, capture, mirror, relay, mapper, metrics, log, fill, counting] = await Promise.all([
    load('src/postgres/migrate.ts'),
    load(samplePath),
    load('src/capture/index.ts'),
    load('test/support/storySiteMirror.ts'),
    load('src/relay/relay.ts'),
    load('src/relay/changeMapper.ts'),
    load('src/relay/metrics.ts'),
    load('src/log.ts'),
    load('bench/support/fillOutbox.ts'),
    load('bench/support/countingTarget.ts'),
  ]);
  return {
    name,
    commit,
    migrate: (pool) => migrations.migrate(pool, tool),
    async prepare(pool) {
      await migrations.migrate(pool, tool);
      await sample.generateSample(pool, { scale: 0.01, seed: 1 });
      await capture.installCapture(pool, { ...mirror.storySiteCapture(), actor: 'bench' });
    },
    fill: (pool) => fill.fillSmallEvents(pool, Number(args.small), 100),
    reset: (pool) => fill.resetOutbox(pool),
    drain: (pool) =>
      new relay.Relay(
        {
          tool,
          pool,
          target: new counting.CountingTarget(Number(args.latency)),
          mapper: mapper.mirrorMapper(mirror.STORY_SITE_TABLES),
          metrics: metrics.createRelayMetrics(),
          log: log.silentLogger,
        },
        { workers: WORKERS },
      ).drain(),
  };
}

/** CPU seconds (user + system) the database's backends have used so far, by pid. */
async function backendCpu(pool: pg.Pool, database: string): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  const ticks = 100; // USER_HZ on Linux
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      // The backend ended between the query and the read.
    }
  }
  return cpu;
}

interface Measurement {
  version: Version['name'];
  events: number;
  seconds: number;
  nodeCpu: number;
  pgCpu: number;
  load: string;
}

async function measure(version: Version, db: BenchDatabase): Promise<Measurement> {
  await version.reset(db.pool);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const pgBefore = await backendCpu(db.pool, db.name);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const summary = await version.drain(db.pool);
  const seconds = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const pgAfter = await backendCpu(db.pool, db.name);
  if (summary.retried !== 0 || summary.dead !== 0) throw new Error(`${version.name}: ${summary.retried} retried, ${summary.dead} dead`);
  let pgCpu = 0;
  for (const [pid, after] of pgAfter) pgCpu += after - (pgBefore.get(pid) ?? 0);
  return { version: version.name, events: summary.applied, seconds, nodeCpu: (node.user + node.system) / 1e6, pgCpu, load };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const rev = args.baseline ?? defaultBaseline();
  const dir = extractBaseline(rev);
  try {
    const baseline = await loadVersion('baseline', dir, git('rev-parse', '--short', rev));
    const current = await loadVersion('current', root, `${git('rev-parse', '--short', 'HEAD')} (working tree)`);
    await withBenchDatabases(2, WORKERS * 2 + 2, async ([baseDb, currentDb]) => {
      printMachine(await describeMachine(baseDb!.pool));
      process.stdout.write(
        `relay small-event rate, ${WORKERS} workers, ${args.small} story_done events (100 per transaction), counting target after a ` +
          `modeled ${args.latency} ms round trip (no Convex): baseline ${baseline.commit} against ${current.commit}, ` +
          `${args.rounds} rounds alternating the order\n\n`,
      );
      const pairs: Array<[Version, BenchDatabase]> = [
        [baseline, baseDb!],
        [current, currentDb!],
      ];
      for (const [version, db] of pairs) {
        await version.prepare(db.pool);
        await version.fill(db.pool);
      }
      const results: Measurement[] = [];
      for (let round = 0; round < Number(args.rounds); round++) {
        const order = round % 2 === 0 ? pairs : [...pairs].reverse();
        for (const [version, db] of order) results.push(await measure(version, db));
      }
      report(results);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(results: Measurement[]): void {
  const perThousand = (r: Measurement, cpu: number) => (cpu / r.events) * 1000 * 1000;
  process.stdout.write(
    markdownTable(
      ['drain', 'version', 'events/s', 'seconds', 'Node CPU ms / 1k events', 'Postgres CPU ms / 1k events', 'total CPU ms / 1k events', 'load average before'],
      results.map((r, i) => [
        String(i + 1),
        r.version,
        fixed(r.events / r.seconds, 0),
        fixed(r.seconds, 1),
        fixed(perThousand(r, r.nodeCpu), 0),
        fixed(perThousand(r, r.pgCpu), 0),
        fixed(perThousand(r, r.nodeCpu + r.pgCpu), 0),
        r.load,
      ]),
    ),
  );
  const of = (name: Version['name']) => results.filter((r) => r.version === name);
  const rate = (name: Version['name']) => median(of(name).map((r) => r.events / r.seconds));
  const cpu = (name: Version['name']) => median(of(name).map((r) => perThousand(r, r.nodeCpu + r.pgCpu)));
  const pgCpu = (name: Version['name']) => median(of(name).map((r) => perThousand(r, r.pgCpu)));
  const rateRatio = rate('current') / rate('baseline');
  process.stdout.write(
    `\nmedians: baseline ${fixed(rate('baseline'), 0)} events/s, ${fixed(cpu('baseline'), 0)} CPU ms per 1k events (Postgres ${fixed(pgCpu('baseline'), 0)}); ` +
      `current ${fixed(rate('current'), 0)} events/s, ${fixed(cpu('current'), 0)} CPU ms per 1k events (Postgres ${fixed(pgCpu('current'), 0)})\n` +
      `rate ratio ${fixed(rateRatio, 2)}x; CPU per event: current needs ${fixed(cpu('current') / cpu('baseline'), 2)} of the baseline's ` +
      `(Postgres alone ${fixed(pgCpu('current') / pgCpu('baseline'), 2)}), i.e. ${fixed(cpu('baseline') / cpu('current'), 2)}x the events per CPU second\n` +
      `Target: >= 1.5x the baseline's small-event rate with ${WORKERS} workers -> ${rateRatio >= 1.5 ? 'MET' : 'NOT MET'} (rate ratio)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
