/**
 * Benchmark: how fast the relay drains the outbox.
 *
 * The outbox of a dedicated database on the real PostgreSQL server is filled
 * through the real capture trigger with (a) small events: story_done inserts,
 * ~100 per transaction, and (b) large events: story updates carrying ~20 KB of
 * text and ~100 KB of JSON, one per transaction. `new Relay(...).drain()` then
 * drains them with 1 and with 4 workers into a target that only counts calls,
 * after a modeled 20 ms round trip. Prints events/s, calls, events per call,
 * peak RSS, and where the relay's time went.
 *
 *   npm run bench:relay -- [--small 200000] [--per-tx 100] [--large 5000] [--latency 20] [--workers 1,4]
 */
import { parseArgs } from 'node:util';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { installCapture } from '../src/capture/index.js';
import { silentLogger } from '../src/log.js';
import { migrate } from '../src/postgres/migrate.js';
import { mirrorMapper } from '../src/relay/changeMapper.js';
import { createRelayMetrics } from '../src/relay/metrics.js';
import { Relay } from '../src/relay/relay.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { CountingTarget } from './support/countingTarget.js';
import {
  fillLargeEvents,
  fillSmallEvents,
  outboxSize,
  resetOutbox,
  type OutboxSize,
} from './support/fillOutbox.js';
import { describeMachine, printMachine } from './support/machine.js';
import { RelayProfile } from './support/relayProfile.js';
import { fixed, markdownTable } from './support/stats.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../test/support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values: args } = parseArgs({
  options: {
    small: { type: 'string', default: '200000' },
    'per-tx': { type: 'string', default: '100' },
    large: { type: 'string', default: '5000' },
    latency: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1,4' },
  },
});
const SMALL = Number(args.small);
const PER_TX = Number(args['per-tx']);
const LARGE = Number(args.large);
const LATENCY_MS = Number(args.latency);
const WORKERS = args.workers.split(',').map(Number);
const MAX_WORKERS = Math.max(...WORKERS);
const MiB = 1024 * 1024;

interface DrainResult {
  kind: string;
  workers: number;
  events: number;
  seconds: number;
  calls: number;
  maxEventsPerCall: number;
  peakRssMiB: number;
  startRssMiB: number;
  profile: Array<[string, number, number]>;
  targetBusyMs: number;
}

/** Samples the process RSS while `work` runs; returns its peak. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

async function drainOnce(db: BenchDatabase, kind: string, workers: number): Promise<DrainResult> {
  await resetOutbox(db.pool);
  const profile = new RelayProfile();
  const target = new CountingTarget(LATENCY_MS);
  const relay = new Relay(
    { tool: DEFAULT_TOOL_SCHEMA,
      pool: profile.timedPool(db.pool),
      target,
      mapper: profile.timedMapper(mirrorMapper(STORY_SITE_TABLES)),
      metrics: createRelayMetrics(),
      log: silentLogger,
    },
    { workers },
  );
  const startRss = process.memoryUsage.rss();
  const started = performance.now();
  const { result: summary, peak } = await peakRss(() => relay.drain());
  const seconds = (performance.now() - started) / 1000;
  if (summary.retried !== 0 || summary.dead !== 0) {
    throw new Error(
      `drain of ${kind} with ${workers} workers: ${summary.retried} retried, ${summary.dead} dead`,
    );
  }
  return {
    kind,
    workers,
    events: summary.applied,
    seconds,
    calls: target.calls,
    maxEventsPerCall: target.maxEventsPerCall,
    peakRssMiB: peak / MiB,
    startRssMiB: startRss / MiB,
    profile: [...profile.ms.entries()].map(([label, ms]) => [
      label,
      ms,
      profile.counts.get(label) ?? 0,
    ]),
    targetBusyMs: target.busyMs,
  };
}

function printResults(results: DrainResult[]): void {
  process.stdout.write(
    `\nRelay drain, target: counting target with a modeled ${LATENCY_MS} ms round trip per call:\n\n`,
  );
  process.stdout.write(
    markdownTable(
      [
        'events',
        'workers',
        'events drained',
        'seconds',
        'events/s',
        'calls',
        'mean events/call',
        'max events/call',
        'RSS before',
        'peak RSS',
      ],
      results.map((r) => [
        r.kind,
        String(r.workers),
        String(r.events),
        fixed(r.seconds, 1),
        fixed(r.events / r.seconds, 0),
        String(r.calls),
        fixed(r.events / r.calls, 1),
        String(r.maxEventsPerCall),
        `${fixed(r.startRssMiB, 0)} MiB`,
        `${fixed(r.peakRssMiB, 0)} MiB`,
      ]),
    ),
  );
  for (const r of results) {
    process.stdout.write(
      `\nWhere the time went: ${r.kind}, ${r.workers} worker(s), ${fixed(r.seconds, 1)} s wall (times summed over workers):\n\n`,
    );
    const rows = [
      ...r.profile,
      ['target call (modeled round trip)', r.targetBusyMs, r.calls] as [string, number, number],
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([label, ms, n]) => [
        label,
        String(n),
        fixed(ms / 1000, 2),
        `${fixed((ms / 1000 / r.seconds / r.workers) * 100, 0)} %`,
      ]);
    process.stdout.write(
      markdownTable(['part', 'count', 'seconds', "share of workers' time"], rows),
    );
  }
  const best = results.filter((r) => r.kind === 'small' && r.workers === 4);
  for (const r of best) {
    const rate = r.events / r.seconds;
    process.stdout.write(
      `\nTarget: >= 20,000 small events/s with 4 workers: ${fixed(rate, 0)} events/s -> ${rate >= 20_000 ? 'MET' : 'NOT MET'}\n`,
    );
  }
}

function describeOutbox(kind: string, size: OutboxSize, fillSeconds: number): void {
  process.stdout.write(
    `${kind}: ${size.events} events in ${size.transactions} transactions captured in ${fixed(fillSeconds, 1)} s ` +
      `(${fixed(size.events / fillSeconds, 0)} events/s through the trigger), mean row image ${fixed(size.meanRowBytes / 1024, 1)} KiB, ` +
      `outbox ${fixed(size.totalBytes / MiB, 0)} MiB on disk\n`,
  );
}

async function prepare(db: BenchDatabase): Promise<void> {
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  await generateSample(db.pool, { scale: 0.01, seed: 1 });
  await installCapture(db.pool, { ...storySiteCapture(), actor: 'bench' });
}

async function measure(
  db: BenchDatabase,
  kind: string,
  fill: () => Promise<void>,
): Promise<DrainResult[]> {
  await db.pool.query('TRUNCATE tandem.outbox');
  const started = performance.now();
  await fill();
  describeOutbox(kind, await outboxSize(db.pool), (performance.now() - started) / 1000);
  const results: DrainResult[] = [];
  for (const workers of WORKERS) results.push(await drainOnce(db, kind, workers));
  return results;
}

async function main(): Promise<void> {
  await withBenchDatabases(1, MAX_WORKERS * 2 + 2, async ([db]) => {
    printMachine(await describeMachine(db!.pool));
    process.stdout.write(
      `relay throughput: target = counting target (records call and event counts only), modeled ${LATENCY_MS} ms round trip; ` +
        'no real Convex deployment is reachable here, so real Convex throughput is not measured\n',
    );
    await prepare(db!);
    const results = [
      ...(await measure(db!, 'small', () => fillSmallEvents(db!.pool, SMALL, PER_TX))),
      ...(await measure(db!, 'large', () => fillLargeEvents(db!.pool, LARGE, 20_000, 100_000))),
    ];
    printResults(results);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
