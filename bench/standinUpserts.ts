/**
 * Benchmark: batched upserts by key into a large table of the embedded
 * target (convex-test with the indexed store: the Convex the stand-in and
 * `npm start` run; NOT Convex, and no real-Convex figure).
 *
 * For each size N the story_done table is filled to N documents through
 * `tandem:applyBatch` (what the relay calls), then a measured phase applies
 * M more changes the same way: half updates of random existing keys with a
 * newer version, half inserts of new keys, `--per-call` changes per mutation
 * (100 per transaction). Prints documents/s of the measured phase at each
 * size, the ratio of the largest size to the smallest, and a baseline on
 * plain convex-test (whose lookups scan every document) at `--baseline` docs,
 * measured in the same run, with the indexed store at that size beside it.
 *
 *   npm run bench:standin -- [--sizes 10000,100000,1000000] [--measure 20000] [--per-call 1000] [--baseline 3000]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { MappedChange, TransactionBatch } from '../src/core/changes.js';
import { EmbeddedConvexTarget } from '../src/convex/embeddedTarget.js';
import { fixed, markdownTable } from './support/stats.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    measure: { type: 'string', default: '20000' },
    'per-call': { type: 'string', default: '1000' },
    baseline: { type: 'string', default: '3000' },
    'baseline-measure': { type: 'string', default: '1000' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const MEASURE = Number(args.measure);
const PER_CALL = Number(args['per-call']);
const BASELINE = Number(args.baseline);
const BASELINE_MEASURE = Number(args['baseline-measure']);
const PER_TX = 100;
const MiB = 1024 * 1024;

/** A deterministic generator, so every variant applies the same changes. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function storyDone(id: number, version: number): MappedChange {
  return {
    table: 'story_done',
    key: String(id),
    version,
    op: 'upsert',
    // story_id points at a story that is not mirrored: the apply looks for the parent, as for a real child row.
    doc: { id, user_id: id % 997, story_id: id % 300, time: 1_700_000_000_000 + id },
  };
}

function batches(changes: MappedChange[]): TransactionBatch[][] {
  const calls: TransactionBatch[][] = [];
  for (let i = 0; i < changes.length; i += PER_CALL) {
    const call: TransactionBatch[] = [];
    const slice = changes.slice(i, i + PER_CALL);
    for (let j = 0; j < slice.length; j += PER_TX) {
      call.push({ txid: `${i + j}`, changes: slice.slice(j, j + PER_TX) });
    }
    calls.push(call);
  }
  return calls;
}

interface SizeResult {
  variant: string;
  size: number;
  fillSeconds: number;
  measured: number;
  docsPerSecond: number;
  /** Documents per second of this process's CPU time: steadier than wall time on a shared machine. */
  docsPerCpuSecond: number;
  rssMiB: number;
}

async function applyAll(target: EmbeddedConvexTarget, changes: MappedChange[]): Promise<void> {
  for (const call of batches(changes)) await target.applyBatch(call);
}

async function run(
  variant: 'indexed' | 'plain convex-test',
  size: number,
  measure: number,
): Promise<SizeResult> {
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR, indexes: variant === 'indexed' });
  let version = 1;
  const fillStart = performance.now();
  const fill: MappedChange[] = [];
  for (let id = 1; id <= size; id++) {
    fill.push(storyDone(id, version++));
    if (fill.length === 50_000) await applyAll(target, fill.splice(0));
  }
  await applyAll(target, fill);
  const fillSeconds = (performance.now() - fillStart) / 1000;

  const random = lcg(size);
  const changes: MappedChange[] = [];
  let nextId = size + 1;
  for (let i = 0; i < measure; i++) {
    const id = i % 2 === 0 ? 1 + Math.floor(random() * size) : nextId++;
    changes.push(storyDone(id, version++));
  }
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await applyAll(target, changes);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result = {
    variant,
    size,
    fillSeconds,
    measured: measure,
    docsPerSecond: measure / seconds,
    docsPerCpuSecond: measure / cpuSeconds,
    rssMiB: process.memoryUsage().rss / MiB,
  };
  console.error(
    `${variant} @ ${size}: fill ${fixed(fillSeconds, 1)} s, ${fixed(result.docsPerSecond, 0)} docs/s, ${fixed(result.docsPerCpuSecond, 0)} docs/CPU-s, RSS ${fixed(result.rssMiB, 0)} MiB`,
  );
  await target.close();
  return result;
}

console.log(
  `# standin upserts (embedded target = the stand-in's store; not Convex)\n` +
    `date ${new Date().toISOString()}, ${os.availableParallelism()} cores, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
);

const baselinePlain = await run('plain convex-test', BASELINE, BASELINE_MEASURE);
const baselineIndexed = await run('indexed', BASELINE, BASELINE_MEASURE);
const results: SizeResult[] = [];
for (const size of SIZES) {
  results.push(await run('indexed', size, MEASURE));
  global.gc?.();
}

console.log(
  markdownTable(
    [
      'variant',
      'documents in table',
      'fill (s)',
      'measured upserts',
      'documents/s',
      'documents/CPU-s',
      'RSS after (MiB)',
    ],
    [baselinePlain, baselineIndexed, ...results].map((r) => [
      r.variant,
      String(r.size),
      fixed(r.fillSeconds, 1),
      String(r.measured),
      fixed(r.docsPerSecond, 0),
      fixed(r.docsPerCpuSecond, 0),
      fixed(r.rssMiB, 0),
    ]),
  ),
);
const smallest = results[0]!;
const largest = results.at(-1)!;
console.log(
  `\nrate at ${largest.size} / rate at ${smallest.size}: ${fixed(largest.docsPerSecond / smallest.docsPerSecond, 2)} wall, ` +
    `${fixed(largest.docsPerCpuSecond / smallest.docsPerCpuSecond, 2)} CPU (target >= 0.67)`,
);
console.log(
  `indexed / plain convex-test at ${BASELINE} documents: ${fixed(baselineIndexed.docsPerSecond / baselinePlain.docsPerSecond, 1)}x wall, ` +
    `${fixed(baselineIndexed.docsPerCpuSecond / baselinePlain.docsPerCpuSecond, 1)}x CPU`,
);
