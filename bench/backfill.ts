/**
 * Benchmark: how fast the backfill copies a large database, and with how much
 * memory, next to the naive approach (one Convex mutation per row).
 *
 * A dedicated database on the real PostgreSQL server gets `tandem sample` data
 * at --scale (10: a million story_done rows plus the rest), then capture, then
 * --live updates to story_done rows (so the outbox is not empty and the row
 * version lookup has work to do). Each measurement runs in a child process of
 * its own, so its peak RSS (getrusage maxrss) is the backfill's alone:
 *
 *   tandem: backfill() of every table into RecordingConvexTarget({ latencyMs })
 *           (recorded calls are discarded after each call: the recorder would
 *           otherwise keep every row and measure itself);
 *   naive:  a hand-written script: read rows in pages, one applyBatch call per
 *           row, awaited in turn, into the same target, for a fixed sample of
 *           story_done rows; the full-run time is extrapolated from it.
 *
 * Then, for the record, a backfill at --local-scale into the local Convex
 * stand-in over HTTP (src/convexLocal, convex-test underneath), checked by
 * counting the rows Convex holds per table.
 *
 * The tandem run is repeated with V8's old space capped (--heap-cap-mib, node
 * --max-old-space-size): without a cap V8 lets garbage from large rows (story
 * content) pile up before collecting it, so peak RSS says more about V8's
 * heuristics than about what the backfill keeps.
 *
 *   npm run bench:backfill -- [--scale 10] [--latency 20] [--naive-rows 2000] [--local-scale 0.05] [--live 10000] [--heap-cap-mib 160]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { backfill, type TableBackfillResult } from '../src/backfill/index.js';
import { installCapture } from '../src/capture/index.js';
import type { ApplyResult, TransactionBatch } from '../src/core/changes.js';
import { HttpConvexTarget, RecordingConvexTarget } from '../src/convex/index.js';
import type { ConvexTarget } from '../src/convex/target.js';
import { createLocalConvex } from '../src/convexLocal/server.js';
import { silentLogger } from '../src/log.js';
import { mapChange } from '../src/mapping/index.js';
import { createPool } from '../src/postgres/database.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { markdownTable } from './support/stats.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../test/support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '10' },
    latency: { type: 'string', default: '20' },
    'naive-rows': { type: 'string', default: '2000' },
    'local-scale': { type: 'string', default: '0.05' },
    live: { type: 'string', default: '10000' },
    // Also measure the backfill with V8's old space capped (node --max-old-space-size), 0 = skip.
    'heap-cap-mib': { type: 'string', default: '160' },
    // Internal: the measured run, in a child process.
    child: { type: 'string' },
    url: { type: 'string' },
  },
});
const LATENCY_MS = Number(args.latency);

interface ChildReport {
  rows: number;
  seconds: number;
  calls: number;
  peakRssMiB: number;
  tables?: Array<Pick<TableBackfillResult, 'table' | 'copied' | 'seconds' | 'calls' | 'backoffPauses'>>;
}

/** RecordingConvexTarget with its record emptied after every call, counting instead. */
class DiscardingRecorder {
  calls = 0;
  rows = 0;
  constructor(private readonly recorder: RecordingConvexTarget) {}
  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    const result = await this.recorder.applyBatch(transactions);
    this.recorder.calls.length = 0;
    this.calls += 1;
    this.rows += transactions.reduce((n, t) => n + t.changes.length, 0);
    return result;
  }
}

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function runTandem(url: string): Promise<ChildReport> {
  const pool = createPool(url, 4);
  const target = new DiscardingRecorder(new RecordingConvexTarget({ latencyMs: LATENCY_MS }));
  const started = performance.now();
  // restart: every measured run copies every table, whatever an earlier run recorded.
  const result = await backfill(pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, restart: true });
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return {
    rows: target.rows,
    seconds,
    calls: target.calls,
    peakRssMiB: peakRssMiB(),
    tables: result.tables.map(({ table, copied, seconds, calls, backoffPauses }) => ({ table, copied, seconds, calls, backoffPauses })),
  };
}

/** What a hand-written migration script does: page through the rows, one mutation per row. */
async function runNaive(url: string, sample: number): Promise<ChildReport> {
  const pool = createPool(url, 2);
  const target = new DiscardingRecorder(new RecordingConvexTarget({ latencyMs: LATENCY_MS }));
  const started = performance.now();
  let after = 0;
  while (target.rows < sample) {
    const { rows } = await pool.query(
      `SELECT to_jsonb(t) AS row, t.id FROM story_done t WHERE t.id > $1 ORDER BY t.id LIMIT $2`,
      [after, Math.min(500, sample - target.rows)],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const change = mapChange({ seq: 0, txid: '', table: 'story_done', key: String(r.id), op: 'insert', row: r.row, operationKey: null }, STORY_SITE_TABLES);
      await target.applyBatch([{ txid: `naive:${r.id}`, changes: [change] }]);
    }
    after = rows.at(-1).id;
  }
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return { rows: target.rows, seconds, calls: target.calls, peakRssMiB: peakRssMiB() };
}

function storyDoneRate(report: ChildReport): number {
  const t = report.tables!.find((x) => x.table === 'story_done')!;
  return t.copied / t.seconds;
}

function measure(mode: 'tandem' | 'naive', url: string, heapCapMiB = 0): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(heapCapMiB > 0 ? [`--max-old-space-size=${heapCapMiB}`] : []), '--import', 'tsx', 'bench/backfill.ts', '--child', mode, '--url', url, '--latency', String(LATENCY_MS), '--naive-rows', args['naive-rows']],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildReport) : reject(new Error(`${mode} run exited with ${code}`))));
  });
}

async function prepare(db: BenchDatabase, scale: number, live: number): Promise<Record<string, number>> {
  const started = performance.now();
  const counts = await generateSample(db.pool, {
    scale,
    referenceDate: new Date('2026-11-25T00:00:00Z'),
    onProgress: (e) => {
      if (e.inserted === e.planned) process.stderr.write(`  sample ${e.table}: ${e.inserted} rows\n`);
    },
  });
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  await installCapture(db.pool, { ...storySiteCapture() });
  if (live > 0) await db.pool.query(`UPDATE story_done SET time = time + interval '1 second' WHERE id % $1 = 0`, [Math.max(1, Math.round(counts.story_done / live))]);
  await db.pool.query('VACUUM ANALYZE');
  process.stderr.write(`  prepared in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  // users is the legacy auth table: never mirrored.
  return Object.fromEntries(Object.entries(counts).filter(([table]) => table !== 'users'));
}

async function countConvex(target: ConvexTarget, table: string): Promise<number> {
  let n = 0;
  for (let cursor: string | null = null; ; ) {
    const page = await target.exportPage(table, cursor, 1000);
    n += page.page.length;
    if (page.isDone) return n;
    cursor = page.continueCursor;
  }
}

async function localStandIn(db: BenchDatabase, scale: number): Promise<string> {
  const counts = await prepare(db, scale, 0);
  const adminKey = 'bench-local-admin-key';
  const dataDir = `/tmp/tandem-bench-local-${process.pid}`;
  const convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR, dataDir, adminKey, logger: silentLogger });
  const url = await convex.listen(0, '127.0.0.1');
  const target = new HttpConvexTarget({ url, adminKey, requestTimeoutMs: 120_000 });
  try {
    const started = performance.now();
    const result = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES });
    const seconds = (performance.now() - started) / 1000;
    const rows = result.tables.reduce((n, t) => n + t.copied, 0);
    const lines = [];
    for (const t of result.tables) {
      const held = await countConvex(target, t.table);
      if (held !== counts[t.table]) throw new Error(`${t.table}: Convex holds ${held}, Postgres ${counts[t.table]}`);
      lines.push([t.table, String(t.copied), String(t.calls), t.seconds.toFixed(2), String(Math.round(t.copied / Math.max(t.seconds, 1e-9)))]);
    }
    return [
      `Local stand-in (HttpConvexTarget → createLocalConvex, convex-test underneath), scale ${scale}: ${rows} rows in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s; every table's row count in Convex checked equal to Postgres.`,
      '',
      markdownTable(['table', 'rows', 'calls', 'seconds', 'rows/s'], lines),
    ].join('\n');
  } finally {
    await convex.close();
    (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (args.child) {
    const report = args.child === 'naive' ? await runNaive(args.url!, Number(args['naive-rows'])) : await runTandem(args.url!);
    process.stdout.write(JSON.stringify(report));
    return;
  }
  const scale = Number(args.scale);
  await withBenchDatabases(2, 4, async ([big, small]) => {
    printMachine(await describeMachine(big!.pool));
    process.stderr.write(`preparing scale ${scale}...\n`);
    const counts = await prepare(big!, scale, Number(args.live));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    process.stderr.write('tandem backfill...\n');
    const tandem = await measure('tandem', big!.url);
    if (tandem.rows !== total) throw new Error(`tandem sent ${tandem.rows} rows, the tables hold ${total}`);
    const heapCap = Number(args['heap-cap-mib']);
    let capped: ChildReport | null = null;
    if (heapCap > 0) {
      process.stderr.write(`tandem backfill, heap capped at ${heapCap} MiB...\n`);
      capped = await measure('tandem', big!.url, heapCap);
      if (capped.rows !== total) throw new Error(`capped run sent ${capped.rows} rows, the tables hold ${total}`);
    }
    process.stderr.write('naive sample...\n');
    const naive = await measure('naive', big!.url);
    const tandemRate = tandem.rows / tandem.seconds;
    const naiveRate = naive.rows / naive.seconds;
    process.stdout.write(
      [
        `Scale ${scale}: ${total} rows (${counts.story_done} story_done). Target: RecordingConvexTarget({ latencyMs: ${LATENCY_MS} }); tandem keeps 2 calls in flight (the default), naive 1.`,
        '',
        markdownTable(
          ['approach', 'rows', 'calls', 'seconds', 'rows/s', 'peak RSS MiB', 'full run'],
          [
            ['tandem backfill (all tables)', String(tandem.rows), String(tandem.calls), tandem.seconds.toFixed(1), String(Math.round(tandemRate)), tandem.peakRssMiB.toFixed(0), `${tandem.seconds.toFixed(0)} s (measured)`],
            ...(capped
              ? [[`tandem backfill, --max-old-space-size=${heapCap}`, String(capped.rows), String(capped.calls), capped.seconds.toFixed(1), String(Math.round(capped.rows / capped.seconds)), capped.peakRssMiB.toFixed(0), `${capped.seconds.toFixed(0)} s (measured)`]]
              : []),
            [`naive, one mutation per row (story_done sample)`, String(naive.rows), String(naive.calls), naive.seconds.toFixed(1), String(Math.round(naiveRate)), naive.peakRssMiB.toFixed(0), `${(total / naiveRate / 3600).toFixed(1)} h (extrapolated)`],
          ],
        ),
        '',
        `Speed-up over naive: ${(tandemRate / naiveRate).toFixed(0)}x for all tables; ${(storyDoneRate(tandem) / naiveRate).toFixed(0)}x on story_done (${Math.round(storyDoneRate(tandem))} rows/s), the table the naive sample came from.`,
        '',
        markdownTable(
          ['table', 'rows', 'calls', 'seconds', 'rows/s', 'latency pauses'],
          tandem.tables!.map((t) => [t.table, String(t.copied), String(t.calls), t.seconds.toFixed(2), String(Math.round(t.copied / Math.max(t.seconds, 1e-9))), String(t.backoffPauses)]),
        ),
        '',
        await localStandIn(small!, Number(args['local-scale'])),
        '',
      ].join('\n'),
    );
  });
}

await main();
