/**
 * Restart of the local Convex stand-in (`tandem convex-local`, NOT Convex)
 * with N story_done-sized documents: time from process start until it serves,
 * RSS once serving and at peak, and how long SIGTERM takes to stop it in the
 * middle of loading. The data dir is written directly in the stand-in's own
 * format (a snapshot of N documents, then a log tail of updates), as a long
 * run would have left it; the stand-in is the compiled CLI (dist/), run as a
 * user runs it. Baseline, measured in the same run: the same start on an
 * empty data dir (bundling the Convex folder, convex-test, the HTTP server),
 * so `load` = start − empty start; and each size's figures as a ratio of the
 * first size's.
 *
 * Store: the indexed store (src/convex/indexedStore): loading puts every
 * document into each of its table's indexes (story_done has six), so the
 * load time includes building them: each index at once from its sorted keys.
 * A second baseline, in this process and the same run, compares that build
 * with the way restarts built them before (one insert per document per
 * index) on the same documents (`--compare-build N`, default the largest
 * size; 0 skips it), by CPU seconds.
 *
 *   npm run bench:standin-restart -- [--docs 100000,1000000] [--log-records 10000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EffectLog, encodeEffects } from '../src/convexLocal/effectLog.js';
import { writeSnapshot } from '../src/convexLocal/snapshot.js';
import type { StoreCounters, StoredDocument } from '../src/convexLocal/storeAccess.js';
import { runToEnd } from '../src/convex/indexedStore/sortInSteps.js';
import { TableIndexes } from '../src/convex/indexedStore/tableIndexes.js';
import { spawnStandIn, startStandIn } from './support/standInProcess.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';
import { loadConvexDir } from '../src/convex/loadConvexDir.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000,1000000' },
    'log-records': { type: 'string', default: '10000' },
    'compare-build': { type: 'string' },
  },
});
const SIZES = values.docs.split(',').map(Number);
const LOG_RECORDS = Number(values['log-records']);
const COMPARE_BUILD = Number(values['compare-build'] ?? Math.max(...SIZES));
const TABLE = 'story_done';
const FIRST_ID = 10_000;

/** convex-test's id format: a zero-padded counter then the table name, 32 characters. */
const idOf = (n: number) => String(FIRST_ID + n).padStart(32 - TABLE.length, '0') + TABLE;

/** A story_done document as the mirror writes it (Postgres columns, key, version, system fields). */
function storyDone(n: number, version: number): StoredDocument {
  return {
    _id: idOf(n),
    _creationTime: 1_700_000_000_000 + n,
    id: n + 1,
    user_id: n % 7 === 0 ? null : 1 + (n % 5000),
    story_id: 1 + (n % 300),
    time: 1_600_000_000_000 + n * 1000,
    pgKey: String(n + 1),
    pgVersion: version,
  };
}

async function writeDataDir(dataDir: string, docs: number): Promise<void> {
  const documents = Array.from({ length: docs }, (_, n) => storyDone(n, 1));
  const counters: StoreCounters = {
    nextDocId: FIRST_ID + docs,
    lastCreationTime: 1_700_000_000_000 + docs,
    lastCommitTs: '0',
  };
  fs.closeSync(fs.openSync(path.join(dataDir, 'log-0000000001.bin'), 'a'));
  await writeSnapshot(dataDir, { documents, counters, logSegment: 1 });
  // The log tail: updates of existing documents since the snapshot (a live mirror's writes).
  const log = new EffectLog(dataDir, 1, 0);
  for (let i = 0; i < LOG_RECORDS; i++) {
    const n = (i * 7919) % docs;
    log.append(encodeEffects({ writes: [[idOf(n), storyDone(n, 2 + i)]], counters }));
  }
  await log.waitDurable();
  await log.close();
}

/** Starts the compiled stand-in on `dataDir`; times it until it serves, reads its memory, stops it. */
async function startAndStop(
  dataDir: string,
): Promise<{ seconds: number; cpuSeconds: number; rssMiB: number; peakMiB: number; banner: string }> {
  const standIn = await startStandIn(dataDir);
  // CPU seconds until serving: on a shared machine the steadier figure (wall time measures the other load).
  const cpuSeconds = standIn.cpuSeconds();
  await standIn.stop();
  return { ...standIn, cpuSeconds };
}

/** Sends SIGTERM `afterMs` after loading began; resolves with how long it took to exit, and what it printed. */
function stopDuringLoad(dataDir: string, afterMs: number): Promise<{ ms: number; stoppedWhileLoading: boolean }> {
  return new Promise((resolve) => {
    const child = spawnStandIn(dataDir);
    let out = '';
    let err = '';
    let sent = 0n;
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (sent === 0n && err.includes('loading the data dir')) {
        sent = -1n;
        setTimeout(() => {
          sent = process.hrtime.bigint();
          child.kill('SIGTERM');
        }, afterMs);
      }
    });
    child.on('exit', () =>
      resolve({ ms: Number(process.hrtime.bigint() - sent) / 1e6, stoppedWhileLoading: out.includes('stopped while loading') }),
    );
  });
}

/** This process's CPU seconds so far. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * story_done's indexes built from `docs` documents both ways, in this process: one insert per
 * document per index (restarts before the bulk build) and at once from sorted keys (now).
 */
async function compareBuild(docs: number): Promise<void> {
  const { schema } = await loadConvexDir(STORY_SITE_CONVEX_DIR);
  const tables = schema.tables as unknown as Record<string, { indexes: Array<{ indexDescriptor: string; fields: string[] }> }>;
  const declared = tables[TABLE]!.indexes;
  const documents = Array.from({ length: docs }, (_, n) => storyDone(n, 1));
  const seconds: Record<string, number> = {};
  for (const way of ['one insert per document', 'at once from sorted keys'] as const) {
    global.gc?.();
    const start = cpuNow();
    const indexes = new TableIndexes(declared);
    if (way === 'one insert per document') for (const document of documents) indexes.move(document._id, null, document);
    else runToEnd(indexes.load(documents));
    seconds[way] = cpuNow() - start;
    if (indexes.size !== docs) throw new Error(`built ${indexes.size} of ${docs} documents`);
    console.log(`  ${way}: ${seconds[way]!.toFixed(2)} CPU-s (${indexes.byName.size} indexes)`);
  }
  console.log(
    `  at once / one by one: ${(seconds['at once from sorted keys']! / seconds['one insert per document']!).toFixed(2)} of the CPU`,
  );
}

const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-restart-empty-'));
console.log(`stand-in restart (tandem convex-local, compiled; NOT Convex); store: the indexed store; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${new Date().toISOString()}`);
const empty = await startAndStop(emptyDir);
console.log(`empty data dir (baseline): serving after ${empty.seconds.toFixed(2)} s (CPU ${empty.cpuSeconds.toFixed(2)} s), RSS ${empty.rssMiB.toFixed(0)} MiB`);
let first: { load: number; rss: number } | undefined;
for (const docs of SIZES) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-restart-'));
  try {
    const t = Date.now();
    await writeDataDir(dataDir, docs);
    const bytes = fs.readdirSync(dataDir).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
    console.log(`\n${docs} documents + ${LOG_RECORDS} log records: data dir ${(bytes / 2 ** 20).toFixed(0)} MiB, written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const start = await startAndStop(dataDir);
    const load = start.seconds - empty.seconds;
    first ??= { load, rss: start.rssMiB };
    console.log(`  ${start.banner}`);
    console.log(
      `  serving after ${start.seconds.toFixed(2)} s (load ≈ ${load.toFixed(2)} s, ${(load / first.load).toFixed(2)}× the first size; ` +
        `CPU until serving ${start.cpuSeconds.toFixed(2)} s, load ≈ ${(start.cpuSeconds - empty.cpuSeconds).toFixed(2)} CPU-s); ` +
        `RSS ${start.rssMiB.toFixed(0)} MiB serving, peak ${start.peakMiB.toFixed(0)} MiB (${(start.rssMiB / first.rss).toFixed(2)}× the first size)`,
    );
    const stop = await stopDuringLoad(dataDir, Math.min(1000, (load * 1000) / 2));
    console.log(`  SIGTERM ${Math.min(1000, (load * 1000) / 2).toFixed(0)} ms into loading: exited after ${stop.ms.toFixed(0)} ms (${stop.stoppedWhileLoading ? 'stopped while loading' : 'had already finished loading'})`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
fs.rmSync(emptyDir, { recursive: true, force: true });
if (COMPARE_BUILD > 0) {
  console.log(`\nbuilding story_done's indexes from ${COMPARE_BUILD} documents in this process (load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}):`);
  await compareBuild(COMPARE_BUILD);
}
