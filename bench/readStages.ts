/**
 * Read latency per stage through the read router, on a representative read:
 * five accounts by key from the ledger (test/cutover/shadowFixture.ts, a
 * second application) on real PostgreSQL, its Convex side being the kit's
 * lookup query run by the EMBEDDED target (convex-test in this process, not
 * Convex). Stages: `postgres`, `shadow` (Postgres served, the Convex read and
 * the comparison beside it, waitMs 0) and `convex`. The stages alternate in
 * short blocks so load drift on the shared machine hits all of them alike;
 * shadow is reported as a ratio over postgres measured in the same run.
 *
 *   npx tsx bench/readStages.ts [--blocks 10] [--reads 100]
 */
import { parseArgs } from 'node:util';
import { ReadStats } from '../src/cutover/readStats.js';
import { Reader, type StageSource } from '../src/cutover/reader.js';
import type { TableStage } from '../src/cutover/decide.js';
import { ACCOUNTS, startLedgerApp } from '../test/cutover/shadowFixture.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';

const { values } = parseArgs({
  options: { blocks: { type: 'string', default: '10' }, reads: { type: 'string', default: '100' } },
});
const BLOCKS = Number(values.blocks);
const READS = Number(values.reads);
const STAGES = ['postgres', 'shadow', 'convex'] as const;

class FixedStage implements StageSource {
  stage: TableStage = { stage: 'postgres', percent: 0, salt: 'bench' };
  stageOf(): TableStage {
    return this.stage;
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

await withBenchDatabases(1, 10, async ([db]) => {
  printMachine(await describeMachine(db!.pool));
  const app = await startLedgerApp(db!.pool);
  const flags = new FixedStage();
  const reader = new Reader({ flags, pool: db!.pool, stats: new ReadStats() });
  const samples: Record<(typeof STAGES)[number], number[]> = { postgres: [], shadow: [], convex: [] };
  let n = 0;
  const readOnce = async () => {
    const keys = [0, 1, 2, 3, 4].map((i) => ACCOUNTS[(n * 5 + i) % ACCOUNTS.length]!);
    n += 1;
    const started = process.hrtime.bigint();
    await reader.read({
      tables: ['account'],
      user: { id: n },
      postgres: () => app.pgAccounts(keys),
      convex: () => app.convexAccounts(keys),
    });
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  // Warm-up: connections, the Convex bundle, JIT.
  for (const stage of STAGES) {
    flags.stage = { stage, percent: 0, salt: 'bench' };
    for (let i = 0; i < 30; i++) await readOnce();
  }
  await reader.settled();
  for (let block = 0; block < BLOCKS; block++) {
    for (const stage of STAGES) {
      flags.stage = { stage, percent: 0, salt: 'bench' };
      for (let i = 0; i < READS; i++) samples[stage].push(await readOnce());
      // Shadow's background work belongs to its own block.
      await reader.settled();
    }
  }
  await app.close();
  const figures = Object.fromEntries(
    STAGES.map((stage) => {
      const sorted = [...samples[stage]].sort((a, b) => a - b);
      return [stage, { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), n: sorted.length }];
    }),
  ) as Record<(typeof STAGES)[number], { p50: number; p99: number; n: number }>;
  process.stdout.write('read: 5 accounts by key; Convex target: embedded (convex-test in-process), not Convex\n');
  process.stdout.write('stage      reads   p50 ms   p99 ms\n');
  for (const stage of STAGES) {
    const f = figures[stage];
    process.stdout.write(`${stage.padEnd(10)} ${String(f.n).padStart(5)} ${f.p50.toFixed(3).padStart(8)} ${f.p99.toFixed(3).padStart(8)}\n`);
  }
  const ratio = (a: number, b: number) => `${((a / b - 1) * 100).toFixed(1)} %`;
  process.stdout.write(
    `shadow over postgres: p50 ${ratio(figures.shadow.p50, figures.postgres.p50)} (target <= +10 %), p99 ${ratio(figures.shadow.p99, figures.postgres.p99)} (target <= +20 %)\n`,
  );
});
