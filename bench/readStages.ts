/**
 * Read latency per stage through the read router, on a representative read:
 * five accounts by key from the ledger (test/cutover/shadowFixture.ts, a
 * second application) on real PostgreSQL, its Convex side being the kit's
 * lookup query run by `--target embedded` (convex-test in this process: its
 * CPU work shares the event loop with the served read) or `--target stand-in`
 * (the local stand-in in a child process, reached over HTTP like a
 * deployment), or `--target modeled`: a remote Convex modeled as a wait of
 * `--latency-ms` (default 8) returning the Postgres rows, so only the
 * router's own cost shows (timers, comparison) and no Convex work competes
 * for this machine's two cores. None of them is Convex. Stages: `postgres`, `shadow` (Postgres served, the Convex read and
 * the comparison beside it, waitMs 0), `shadow-noop` (shadow whose Convex read does nothing: the router's own part) and
 * `convex`. The stages alternate in
 * short blocks, in a random order per block, so load drift on the shared
 * machine hits all of them alike; shadow is reported as a ratio over postgres
 * measured in the same run, both pooled and as the median of per-block ratios
 * (the paired figure, which load drift between blocks does not move).
 *
 *   npx tsx bench/readStages.ts [--target embedded|stand-in|modeled] [--latency-ms 8] [--blocks 10] [--reads 100]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HttpConvexTarget } from '../src/convex/httpTarget.js';
import { Registry } from 'prom-client';
import { createCutoverMetrics } from '../src/cutover/metrics.js';
import { ReadStats } from '../src/cutover/readStats.js';
import { Reader } from '../src/cutover/reader.js';
import { FixedStage } from './support/fixedStage.js';
import { ACCOUNTS, startLedgerApp } from '../test/cutover/shadowFixture.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '10' },
    reads: { type: 'string', default: '100' },
    target: { type: 'string', default: 'embedded' },
    'latency-ms': { type: 'string', default: '8' },
  },
});
const TARGET = (['stand-in', 'modeled'] as const).find((t) => t === values.target) ?? 'embedded';
const LATENCY = Number(values['latency-ms']);
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bin/tandem.js');
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
let standIn: ChildProcess | undefined;

/** The local stand-in serving the app's Convex folder in a child process. */
async function standInTarget(convexDir: string): Promise<HttpConvexTarget> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-standin-'));
  standIn = spawn(
    process.execPath,
    [cli, 'convex-local', '--convex-dir', convexDir, '--port', '0', '--admin-key', ADMIN_KEY, '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TANDEM_LOG_LEVEL: 'warn' } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    standIn!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /CONVEX_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    standIn!.on('exit', (code) => reject(new Error(`stand-in exited ${code}: ${out}`)));
  });
  return new HttpConvexTarget({ url, adminKey: ADMIN_KEY });
}
const BLOCKS = Number(values.blocks);
const READS = Number(values.reads);
/**
 * `shadow-noop` is shadow with a Convex read that does nothing (it answers
 * with the Postgres result at once): what shadow costs with no second read at
 * all, i.e. the router's own part, in the same run.
 */
const STAGES = ['postgres', 'shadow', 'shadow-noop', 'convex'] as const;
const stageOf = (variant: (typeof STAGES)[number]) => (variant === 'shadow-noop' ? 'shadow' : variant);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

await withBenchDatabases(1, 10, async ([db]) => {
  printMachine(await describeMachine(db!.pool));
  const app = await startLedgerApp(db!.pool, TARGET === 'stand-in' ? { target: standInTarget } : {});
  const flags = new FixedStage();
  const metrics = createCutoverMetrics(new Registry());
  const reader = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db!.pool, stats: new ReadStats(), metrics });
  const samples: Record<(typeof STAGES)[number], number[]> = { postgres: [], shadow: [], 'shadow-noop': [], convex: [] };
  let variant: (typeof STAGES)[number] = 'postgres';
  const everyAccount = await app.pgAccounts(ACCOUNTS);
  const convexRead =
    TARGET === 'modeled'
      ? async (keys: string[]) => {
          await new Promise((r) => setTimeout(r, LATENCY));
          return Object.fromEntries(keys.map((k) => [k, structuredClone(everyAccount[k])]));
        }
      : (keys: string[]) => app.convexAccounts(keys);
  let n = 0;
  const readOnce = async () => {
    const keys = [0, 1, 2, 3, 4].map((i) => ACCOUNTS[(n * 5 + i) % ACCOUNTS.length]!);
    n += 1;
    const started = process.hrtime.bigint();
    let served: Record<string, unknown> | undefined;
    await reader.read({
      tables: ['account'],
      user: { id: n },
      postgres: async () => (served = await app.pgAccounts(keys)),
      convex: variant === 'shadow-noop' ? async () => served! : () => convexRead(keys),
    });
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  // Warm-up: connections, the Convex bundle, JIT.
  for (const stage of STAGES) {
    variant = stage;
    flags.stage = { stage: stageOf(stage), percent: 0, salt: 'bench' };
    for (let i = 0; i < 30; i++) await readOnce();
  }
  await reader.settled();
  // Per block, each stage's p50 and p99 over that block's reads: shadow's
  // ratio over postgres is taken block by block (the two ran seconds apart,
  // under the same load), and the figure is the median of those paired ratios.
  // Pooled quantiles over the whole run mix blocks run under different loads.
  const perBlock: Array<Record<(typeof STAGES)[number], { p50: number; p99: number }>> = [];
  for (let block = 0; block < BLOCKS; block++) {
    const figuresOfBlock = {} as (typeof perBlock)[number];
    // A different order in each block, so no stage always follows another's background work.
    const order = [...STAGES].sort(() => Math.random() - 0.5);
    for (const stage of order) {
      variant = stage;
      flags.stage = { stage: stageOf(stage), percent: 0, salt: 'bench' };
      const block: number[] = [];
      for (let i = 0; i < READS; i++) block.push(await readOnce());
      // Shadow's background work belongs to its own block.
      await reader.settled();
      samples[stage].push(...block);
      block.sort((a, b) => a - b);
      figuresOfBlock[stage] = { p50: quantile(block, 0.5), p99: quantile(block, 0.99) };
    }
    perBlock.push(figuresOfBlock);
  }
  await app.close();
  standIn?.kill();
  const figures = Object.fromEntries(
    STAGES.map((stage) => {
      const sorted = [...samples[stage]].sort((a, b) => a - b);
      return [stage, { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), n: sorted.length }];
    }),
  ) as Record<(typeof STAGES)[number], { p50: number; p99: number; n: number }>;
  process.stdout.write(
    `read: 5 accounts by key; Convex target: ${
      { 'stand-in': 'the local stand-in (child process, HTTP)', embedded: 'embedded (convex-test in-process)', modeled: `modeled (a ${LATENCY} ms wait, no work)` }[TARGET]
    }, not Convex\n`,
  );
  process.stdout.write('stage         reads   p50 ms   p99 ms\n');
  for (const stage of STAGES) {
    const f = figures[stage];
    process.stdout.write(`${stage.padEnd(13)} ${String(f.n).padStart(5)} ${f.p50.toFixed(3).padStart(8)} ${f.p99.toFixed(3).padStart(8)}\n`);
  }
  const classes = (await metrics.shadow.get()).values.map((v) => `${v.labels.class} ${v.value}`).join(', ');
  process.stdout.write(`shadow comparisons (warm-up included): ${classes}\n`);
  const ratio = (a: number, b: number) => `${((a / b - 1) * 100).toFixed(1)} %`;
  process.stdout.write(
    `shadow over postgres: p50 ${ratio(figures.shadow.p50, figures.postgres.p50)} (target <= +10 %), p99 ${ratio(figures.shadow.p99, figures.postgres.p99)} (target <= +20 %)\n`,
  );
  process.stdout.write(
    `shadow with a no-op Convex read over postgres (the router's own part): p50 ${ratio(figures['shadow-noop'].p50, figures.postgres.p50)}, p99 ${ratio(figures['shadow-noop'].p99, figures.postgres.p99)}\n`,
  );
  const paired = (stage: (typeof STAGES)[number], q: 'p50' | 'p99') => {
    const ratios = perBlock.map((b) => b[stage][q] / b.postgres[q]).sort((a, b) => a - b);
    const pct = (r: number) => `${((r - 1) * 100).toFixed(1)} %`;
    return `${pct(quantile(ratios, 0.5))} (blocks' quartiles ${pct(quantile(ratios, 0.25))} .. ${pct(quantile(ratios, 0.75))})`;
  };
  process.stdout.write(
    `paired per block (median of ${BLOCKS} blocks' ratios): shadow over postgres p50 ${paired('shadow', 'p50')}, p99 ${paired('shadow', 'p99')}\n`,
  );
  process.stdout.write(
    `paired per block: shadow-noop over postgres p50 ${paired('shadow-noop', 'p50')}, p99 ${paired('shadow-noop', 'p99')}\n`,
  );
});
