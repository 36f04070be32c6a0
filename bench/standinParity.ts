/**
 * Benchmark: full parity of story_done against the LOCAL STAND-IN
 * (`tandem convex-local`, the compiled CLI in its own process: convex-test
 * with the indexed store, NOT Convex), over HTTP, as `tandem parity --mode
 * full` runs it. Postgres is the real server (a dedicated database).
 *
 * For each size N: story_done gets N rows; the stand-in's data dir gets a
 * snapshot of the documents the mirror would hold for them (each row's mapped
 * columns, exactly as parity maps them, plus pgKey and pgVersion), so no
 * backfill is needed to reach 1,000,000; the stand-in is started on it; then
 * a full check runs (range digests computed inside the stand-in by the kit's
 * tandem/parity:rangeDigest, bisection where they differ). It must come out
 * clean with both counts equal to N, which also proves the documents were
 * built right.
 *
 * Baseline, measured in the same run at each size: the same full check
 * against an in-memory double of the Convex side with no modeled latency
 * (bench/parity/memoryCopyReader.ts): Postgres streaming, mapping and hashing
 * in this process, which the stand-in run includes too. The stand-in's share
 * is the difference. Sizes are listed smallest first; seconds per 100,000 rows
 * at each size show whether the time grows linearly, and when the sizes stop
 * short of 1,000,000 the 1,000,000 figure is a projection from the largest
 * size, printed as one.
 *
 *   npm run bench:standin-parity -- [--rows 100000,250000,1000000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HttpConvexTarget } from '../src/convex/httpTarget.js';
import type { ParityReader } from '../src/convex/target.js';
import { writeSnapshot } from '../src/convexLocal/snapshot.js';
import type { StoredDocument } from '../src/convexLocal/storeAccess.js';
import { requireTable } from '../src/mapping/index.js';
import { runParity } from '../src/parity/index.js';
import { streamRowsInKeyOrder } from '../src/parity/pgRows.js';
import { STORY_SITE_TABLES } from '../test/support/storySiteMirror.js';
import { MemoryCopyReader } from './parity/memoryCopyReader.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { STAND_IN_ADMIN_KEY, startStandIn } from './support/standInProcess.js';
import { fillStoryDone } from './support/storyDoneFill.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000,250000,1000000' } } });
const SIZES = values.rows.split(',').map(Number).sort((a, b) => a - b);
const TABLE = 'story_done';
const table = requireTable(STORY_SITE_TABLES, TABLE);
const FIRST_ID = 10_000;
const idOf = (n: number) => String(FIRST_ID + n).padStart(32 - TABLE.length, '0') + TABLE;

/** Postgres's rows as the mirror's documents (a snapshot), and as the double's row hashes. */
async function buildBothSides(db: BenchDatabase, dataDir: string): Promise<MemoryCopyReader> {
  const copy = new MemoryCopyReader(0);
  const documents: StoredDocument[] = [];
  for await (const batch of streamRowsInKeyOrder(db.pool, table, 5000)) {
    for (const row of batch) {
      const n = documents.length;
      documents.push({ ...row.columns, pgKey: row.key, pgVersion: 1, _id: idOf(n), _creationTime: 1_700_000_000_000 + n });
      copy.push(row.key, row.hash);
    }
  }
  fs.closeSync(fs.openSync(path.join(dataDir, 'log-0000000001.bin'), 'a'));
  await writeSnapshot(dataDir, {
    documents,
    counters: { nextDocId: FIRST_ID + documents.length, lastCreationTime: 1_700_000_000_000 + documents.length, lastCommitTs: '0' },
    logSegment: 1,
  });
  return copy;
}

async function addStoryDone(db: BenchDatabase, from: number, to: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO story_done (id, user_id, story_id, time)
     SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 1000 + 1 END, g % 500 + 1,
            timestamptz '2024-01-01 00:00:00+00' + g * interval '7 seconds'
       FROM generate_series($1::int + 1, $2::int) g`,
    [from, to],
  );
}

const cpuOf = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

async function timedParity(db: BenchDatabase, reader: ParityReader): Promise<{ seconds: number; pgRows: number; convexRows: number; clean: boolean }> {
  const started = process.hrtime.bigint();
  const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, reader, { config: STORY_SITE_TABLES, tables: [TABLE], mode: 'full', pendingWaitMs: 0, record: false });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const t = report.tables[TABLE]!;
  return { seconds, pgRows: t.pgRows, convexRows: t.convexRows, clean: t.clean };
}

interface SizeResult {
  rows: number;
  standIn: number;
  /** CPU seconds of the stand-in process during the check. */
  standInCpu: number;
  /** CPU seconds of this process (Postgres rows streamed, mapped, hashed; HTTP client) during the check. */
  clientCpu: number;
  baseline: number;
  baselineCpu: number;
  startSeconds: number;
  rssMiB: number;
}

const results: SizeResult[] = [];
await withBenchDatabases(1, 4, async ([db]) => {
  printMachine(await describeMachine(db!.pool));
  console.log('Convex side: the local stand-in (tandem convex-local, compiled, its own process; convex-test, NOT Convex) over HTTP; baseline: an in-memory double, no modeled latency\n');
  let filled = 0;
  for (const rows of SIZES) {
    // Each size adds rows to the same table: the smaller sizes' rows are kept.
    if (filled === 0) await fillStoryDone(db!, rows);
    else await addStoryDone(db!, filled, rows);
    filled = rows;
    await db!.pool.query('ANALYZE story_done');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-standin-parity-'));
    try {
      const t0 = Date.now();
      const copy = await buildBothSides(db!, dataDir);
      console.log(`${rows} rows: snapshot and double built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const standIn = await startStandIn(dataDir);
      try {
        console.log(`  stand-in serving after ${standIn.seconds.toFixed(1)} s (${standIn.banner}), RSS ${standIn.rssMiB.toFixed(0)} MiB`);
        const target = new HttpConvexTarget({ url: standIn.url, adminKey: STAND_IN_ADMIN_KEY, requestTimeoutMs: 120_000 });
        let cpu = process.cpuUsage();
        const baseline = await timedParity(db!, copy);
        const baselineCpu = cpuOf(process.cpuUsage(cpu));
        cpu = process.cpuUsage();
        const standInCpuBefore = standIn.cpuSeconds();
        const run = await timedParity(db!, target);
        const clientCpu = cpuOf(process.cpuUsage(cpu));
        const standInCpu = standIn.cpuSeconds() - standInCpuBefore;
        const memory = standIn.memory();
        if (!run.clean || run.pgRows !== rows || run.convexRows !== rows || !baseline.clean) {
          throw new Error(`parity was not clean: ${JSON.stringify({ run, baseline })}`);
        }
        console.log(
          `  full parity against the stand-in: ${run.seconds.toFixed(1)} s (${((rows / run.seconds) | 0)} rows/s), clean, ${run.convexRows} rows on each side; ` +
            `CPU: stand-in ${standInCpu.toFixed(1)} s, this process ${clientCpu.toFixed(1)} s; ` +
            `baseline (in-memory double): ${baseline.seconds.toFixed(1)} s, CPU ${baselineCpu.toFixed(1)} s; stand-in peak RSS ${memory.peakMiB.toFixed(0)} MiB`,
        );
        results.push({ rows, standIn: run.seconds, standInCpu, clientCpu, baseline: baseline.seconds, baselineCpu, startSeconds: standIn.seconds, rssMiB: memory.peakMiB });
      } finally {
        await standIn.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
});

console.log('\n| rows | parity vs stand-in, wall (s) | stand-in CPU (s) | client CPU (s) | stand-in CPU per 100k rows (s) | baseline: in-memory double, wall / CPU (s) | stand-in start (s) | stand-in peak RSS (MiB) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.rows} | ${r.standIn.toFixed(1)} | ${r.standInCpu.toFixed(1)} | ${r.clientCpu.toFixed(1)} | ${((r.standInCpu * 100_000) / r.rows).toFixed(2)} | ` +
      `${r.baseline.toFixed(1)} / ${r.baselineCpu.toFixed(1)} | ${r.startSeconds.toFixed(1)} | ${r.rssMiB.toFixed(0)} |`,
  );
}
const largest = results.at(-1)!;
const scale = 1_000_000 / largest.rows;
const what = largest.rows >= 1_000_000 ? 'measured' : `PROJECTION from ${largest.rows} rows (not measured)`;
console.log(
  `\n1,000,000 rows, ${what}: wall ${(largest.standIn * scale).toFixed(0)} s at this run's load; CPU: stand-in ${(largest.standInCpu * scale).toFixed(0)} s, ` +
    `client ${(largest.clientCpu * scale).toFixed(0)} s (the two run in parallel on an idle 2-core machine, so its wall time is at least the larger). Target <= 60 s.`,
);
