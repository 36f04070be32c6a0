/**
 * Benchmark: batched upserts by key into a large table of the embedded
 * target (convex-test with the indexed store: the Convex the stand-in and
 * `npm start` run; NOT Convex, and no real-Convex figure).
 *
 * For each size N the story_done table is filled to N documents, then a
 * measured phase applies M more changes through `tandem:applyBatch` (what
 * the relay calls): half updates of random existing keys with a newer
 * version, half inserts of new keys, `--per-call` changes per mutation (100
 * per transaction). Prints documents/s of the measured phase at each size,
 * the ratio of the largest size to the smallest, and a baseline on plain
 * convex-test (whose lookups scan every document) at `--baseline` docs,
 * measured in the same run, with the indexed store at that size beside it.
 *
 * `--fill import` (the default) loads the N documents with importDocuments,
 * the way a restart loads a snapshot, instead of N upserts: the measured
 * phase is the same, and a 1,000,000-document table takes seconds to build
 * instead of half an hour on a shared machine. The imported documents are
 * checked to have exactly the fields an upsert through applyBatch writes.
 * `--fill apply` fills through applyBatch, as before.
 *
 * Every size's table is built first, then the sizes' measured changes run in
 * `--blocks` turns (rotating order), so each size's rate comes from the same
 * stretch of the machine's time as the others'.
 *
 *   npm run bench:standin -- [--sizes 10000,100000,1000000] [--measure 20000] [--per-call 1000] [--baseline 3000] [--fill import|apply] [--blocks 8]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import type { MappedChange, TransactionBatch } from '../src/core/changes.js';
import { createConvexBackend, type ConvexBackend } from '../src/convex/convexBackend.js';
import { applyBatchRef } from '../src/convex/functionRefs.js';
import {
  exportDocuments,
  importDocuments,
  type StoredDocument,
} from '../src/convex/indexedStore/index.js';
import { countGcPauses, exposedGc, type GcPauses } from './support/gcPauses.js';
import { fixed, markdownTable } from './support/stats.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    measure: { type: 'string', default: '20000' },
    'per-call': { type: 'string', default: '1000' },
    baseline: { type: 'string', default: '3000' },
    'baseline-measure': { type: 'string', default: '1000' },
    fill: { type: 'string', default: 'import' },
    blocks: { type: 'string', default: '8' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const MEASURE = Number(args.measure);
const PER_CALL = Number(args['per-call']);
const BASELINE = Number(args.baseline);
const BASELINE_MEASURE = Number(args['baseline-measure']);
const FILL = args.fill;
const BLOCKS = Number(args.blocks);
if (!(Number.isInteger(BLOCKS) && BLOCKS >= 1)) throw new Error(`--blocks must be a whole number >= 1, not ${args.blocks}`);
if (FILL !== 'import' && FILL !== 'apply') throw new Error(`--fill must be import or apply, not ${FILL}`);
const PER_TX = 100;
const collectGarbage = exposedGc();
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
  /** GC pauses during the measured phase. */
  gc: GcPauses;
  heapUsedMiB: number;
}

async function applyAll(backend: ConvexBackend, changes: MappedChange[]): Promise<void> {
  for (const transactions of batches(changes)) await backend.mutation(applyBatchRef, { transactions });
}

/** The document an upsert of storyDone(id, version) leaves in the store, with the given system fields. */
function storedStoryDone(id: number, version: number, _id: string, _creationTime: number): StoredDocument {
  const { doc, key } = storyDone(id, version);
  return { ...doc, pgKey: key, pgVersion: version, _id, _creationTime };
}

/** Fails unless storedStoryDone matches, field for field, what applyBatch writes. */
async function checkImportShape(): Promise<void> {
  const backend = await createConvexBackend({ convexDir: STORY_SITE_CONVEX_DIR });
  await applyAll(backend, [storyDone(7, 3)]);
  const written = [...exportDocuments(backend).documents].find((d) => d._id.endsWith('story_done'))!;
  const built = storedStoryDone(7, 3, written._id, written._creationTime);
  if (!isDeepStrictEqual(written, built)) {
    throw new Error(`imported documents would differ from applied ones: ${JSON.stringify({ written, built })}`);
  }
}

/** Loads story_done documents 1..size without running functions; returns the next version. */
function importFill(backend: ConvexBackend, size: number): number {
  const firstId = 10_000;
  const idOf = (n: number) => String(firstId + n).padStart(32 - 'story_done'.length, '0') + 'story_done';
  function* documents(): Generator<StoredDocument> {
    for (let id = 1; id <= size; id++) yield storedStoryDone(id, id, idOf(id), 1_700_000_000_000 + id);
  }
  importDocuments(backend, documents(), {
    nextDocId: firstId + size + 1,
    lastCreationTime: 1_700_000_000_000 + size,
    lastCommitTs: 0n,
  });
  return size + 1;
}

async function applyFill(backend: ConvexBackend, size: number): Promise<number> {
  let version = 1;
  const fill: MappedChange[] = [];
  for (let id = 1; id <= size; id++) {
    fill.push(storyDone(id, version++));
    if (fill.length === 50_000) await applyAll(backend, fill.splice(0));
  }
  await applyAll(backend, fill);
  return version;
}

interface Prepared {
  variant: 'indexed' | 'plain convex-test';
  size: number;
  backend: ConvexBackend;
  fillSeconds: number;
  changes: MappedChange[];
  /** What the measured blocks add up to. */
  seconds: number;
  cpuSeconds: number;
  gc: GcPauses;
}

/** A table of `size` documents, and the `measure` changes (half updates of random keys, half inserts) to time on it. */
async function prepare(variant: Prepared['variant'], size: number, measure: number): Promise<Prepared> {
  const backend = await createConvexBackend({ convexDir: STORY_SITE_CONVEX_DIR, indexes: variant === 'indexed' });
  const fillStart = performance.now();
  let version =
    FILL === 'import' && variant === 'indexed' ? importFill(backend, size) : await applyFill(backend, size);
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const random = lcg(size);
  const changes: MappedChange[] = [];
  let nextId = size + 1;
  for (let i = 0; i < measure; i++) {
    const id = i % 2 === 0 ? 1 + Math.floor(random() * size) : nextId++;
    changes.push(storyDone(id, version++));
  }
  return { variant, size, backend, fillSeconds, changes, seconds: 0, cpuSeconds: 0, gc: { minorMs: 0, majorMs: 0, otherMs: 0, majorCount: 0 } };
}

/**
 * Times block `block` of `blocks` of a prepared table's changes. The block ends
 * with a young-generation collection inside its own timing, so what a block's
 * writes leave for the collector (old objects pointing at new ones: the large
 * table's index nodes) is charged to that block, not to the next table's.
 */
async function measureBlock(p: Prepared, block: number, blocks: number): Promise<void> {
  const per = Math.ceil(p.changes.length / blocks);
  const slice = p.changes.slice(block * per, (block + 1) * per);
  if (slice.length === 0) return;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const stopGc = countGcPauses();
  await applyAll(p.backend, slice);
  collectGarbage({ type: 'minor' });
  p.seconds += (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  p.cpuSeconds += (cpu.user + cpu.system) / 1e6;
  const gc = await stopGc();
  p.gc.minorMs += gc.minorMs;
  p.gc.majorMs += gc.majorMs;
  p.gc.otherMs += gc.otherMs;
  p.gc.majorCount += gc.majorCount;
}

function result(p: Prepared): SizeResult {
  const r: SizeResult = {
    variant: p.variant,
    size: p.size,
    fillSeconds: p.fillSeconds,
    measured: p.changes.length,
    docsPerSecond: p.changes.length / p.seconds,
    docsPerCpuSecond: p.changes.length / p.cpuSeconds,
    rssMiB: process.memoryUsage().rss / MiB,
    gc: p.gc,
    heapUsedMiB: process.memoryUsage().heapUsed / MiB,
  };
  console.error(
    `${r.variant} @ ${r.size}: fill ${fixed(r.fillSeconds, 1)} s, ${fixed(r.docsPerSecond, 0)} docs/s, ${fixed(r.docsPerCpuSecond, 0)} docs/CPU-s, RSS ${fixed(r.rssMiB, 0)} MiB; ` +
      `GC pauses in ${fixed(p.seconds, 1)} s: minor ${fixed(r.gc.minorMs, 0)} ms, major ${fixed(r.gc.majorMs, 0)} ms (${r.gc.majorCount}), other ${fixed(r.gc.otherMs, 0)} ms`,
  );
  return r;
}

/** One table on its own, measured in one stretch (the baseline against plain convex-test). */
async function run(variant: Prepared['variant'], size: number, measure: number): Promise<SizeResult> {
  const p = await prepare(variant, size, measure);
  collectGarbage();
  await measureBlock(p, 0, 1);
  return result(p);
}

console.log(
  `# standin upserts (embedded target = the stand-in's store; not Convex)\n` +
    `date ${new Date().toISOString()}, ${os.availableParallelism()} cores, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; fill: ${FILL}\n`,
);
if (FILL === 'import') await checkImportShape();

const baselinePlain = await run('plain convex-test', BASELINE, BASELINE_MEASURE);
const baselineIndexed = await run('indexed', BASELINE, BASELINE_MEASURE);
// Every size's table is built first, then their measured changes run in
// blocks that take turns (the order rotating each round), so the sizes share
// the machine's moments: on a host whose speed varies from minute to minute,
// measuring 10,000 in one stretch and 1,000,000 in a later one compares the
// two moments as much as the two sizes.
const prepared: Prepared[] = [];
for (const size of SIZES) prepared.push(await prepare('indexed', size, MEASURE));
collectGarbage();
for (let block = 0; block < BLOCKS; block++) {
  for (let k = 0; k < prepared.length; k++) await measureBlock(prepared[(block + k) % prepared.length]!, block, BLOCKS);
}
const results = prepared.map(result);

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
      'GC pauses, minor / major (ms)',
    ],
    [baselinePlain, baselineIndexed, ...results].map((r) => [
      r.variant,
      String(r.size),
      fixed(r.fillSeconds, 1),
      String(r.measured),
      fixed(r.docsPerSecond, 0),
      fixed(r.docsPerCpuSecond, 0),
      fixed(r.rssMiB, 0),
      `${fixed(r.gc.minorMs, 0)} / ${fixed(r.gc.majorMs, 0)}`,
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
