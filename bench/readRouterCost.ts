/**
 * The read router's own cost per read, with no store at all: both reads
 * answer at once from memory (a result shaped like five ledger accounts), so
 * what is measured is only what the router adds — the stage lookup, the
 * user's bucket, metrics and rate stats, and in `shadow` the second read's
 * timer and promise chain, the comparison and its bookkeeping; and a read at
 * shadow that `maxShare` or `maxPerSecond` serves uncompared. Each read's
 * background work is waited for inside its block (`reader.settled()`), so a
 * block's time per read is everything the router spends on it.
 *
 * Variants alternate in short blocks so the shared machine's load drift hits
 * them alike; figures are microseconds per read and ratios over `postgres`
 * from the same run. The comparison's share is measured apart (the two
 * results compared the way shadow compares them, nothing else).
 *
 *   npx tsx bench/readRouterCost.ts [--blocks 20] [--reads 2000]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import type { TableStage } from '../src/cutover/decide.js';
import { createCutoverMetrics } from '../src/cutover/metrics.js';
import { ReadStats } from '../src/cutover/readStats.js';
import { Reader, type ReaderOptions, type StageSource } from '../src/cutover/reader.js';
import { canonicalResult, resultsEqual } from '../src/cutover/shadowCompare.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '20' },
    reads: { type: 'string', default: '2000' },
  },
});
const BLOCKS = Number(values.blocks);
const READS = Number(values.reads);

class FixedStage implements StageSource {
  constructor(private readonly stage: TableStage) {}
  stageOf(): TableStage {
    return this.stage;
  }
}

/** Five accounts as the ledger's read returns them (text keys, numeric as text, a timestamp, an array). */
function accounts(): Record<string, unknown> {
  return Object.fromEntries(
    [1, 2, 3, 4, 5].map((i) => [
      `ACC-0${i}`,
      {
        code: `ACC-0${i}`,
        holder: `Holder ACC-0${i}`,
        balance: '100.5',
        opened_at: new Date('2024-02-29T12:00:00Z'),
        tags: ['gold'],
      },
    ]),
  );
}

type Variant = {
  name: string;
  stage: TableStage['stage'];
  options: Partial<ReaderOptions<{ id: number }>>;
};
const full = () => ({ metrics: createCutoverMetrics(new Registry()), stats: new ReadStats() });
const VARIANTS: Variant[] = [
  { name: 'postgres', stage: 'postgres', options: full() },
  { name: 'shadow', stage: 'shadow', options: full() },
  { name: 'shadow, no metrics', stage: 'shadow', options: { stats: new ReadStats() } },
  { name: 'shadow, no metrics or stats', stage: 'shadow', options: {} },
  // Reads at shadow that a bound serves uncompared (all but the first): what a skipped read costs.
  { name: 'shadow, skipped by maxShare', stage: 'shadow', options: { ...full(), shadow: { maxShare: 1e-9 } } },
  { name: 'shadow, skipped by maxPerSecond', stage: 'shadow', options: { ...full(), shadow: { maxPerSecond: 1e-9 } } },
];

const readers = VARIANTS.map(
  (v) =>
    new Reader<{ id: number }>({ tool: DEFAULT_TOOL_SCHEMA,
      flags: new FixedStage({ stage: v.stage, percent: 0, salt: 'bench' }),
      pool: null,
      ...v.options,
    }),
);
const pgResult = accounts();
const cxResult = accounts();

async function block(reader: Reader<{ id: number }>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < READS; i++)
    await reader.read({
      tables: ['account'],
      user: { id: i },
      postgres: async () => pgResult,
      convex: async () => cxResult,
    });
  await reader.settled();
  return Number(process.hrtime.bigint() - started) / 1e3 / READS;
}

/** The comparison as shadow makes it, and (`canonical`) as it was made before: both results rendered as canonical text. */
function compareBlock(how: 'current' | 'canonical'): number {
  const equalNow =
    how === 'current'
      ? resultsEqual
      : (a: unknown, b: unknown) => canonicalResult(a) === canonicalResult(b);
  const started = process.hrtime.bigint();
  let equal = 0;
  for (let i = 0; i < READS; i++) if (equalNow(pgResult, cxResult)) equal += 1;
  if (equal !== READS) throw new Error('the comparison found a difference between equal results');
  return Number(process.hrtime.bigint() - started) / 1e3 / READS;
}

process.stdout.write(
  [
    `date: ${new Date().toISOString()}`,
    `machine: ${os.availableParallelism()} cores, node ${process.version}`,
    `load average before the run (1/5/15 min): ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `no store: both reads answer from memory; ${BLOCKS} blocks of ${READS} reads per variant, alternating`,
    '',
  ].join('\n'),
);
// Warm-up: JIT, metric children.
for (const reader of readers) await block(reader);
compareBlock('current');
compareBlock('canonical');
const perRead: number[][] = VARIANTS.map(() => []);
const compareOnly: number[] = [];
const compareCanonical: number[] = [];
for (let b = 0; b < BLOCKS; b++) {
  for (let v = 0; v < VARIANTS.length; v++) perRead[v]!.push(await block(readers[v]!));
  compareOnly.push(compareBlock('current'));
  compareCanonical.push(compareBlock('canonical'));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(perRead[0]!);
process.stdout.write(
  'variant                          µs/read (median of blocks)   over postgres\n',
);
VARIANTS.forEach((v, i) => {
  const m = median(perRead[i]!);
  process.stdout.write(
    `${v.name.padEnd(32)} ${m.toFixed(2).padStart(10)}   ${i === 0 ? '-' : `+${(m - base).toFixed(2)} µs`}\n`,
  );
});
const [now, before] = [median(compareOnly), median(compareCanonical)];
process.stdout.write(
  `comparison alone, two equal results: ${now.toFixed(2)} µs (structural check first)\n`,
);
process.stdout.write(
  `comparison alone, canonical text only (before): ${before.toFixed(2)} µs: ${(before / now).toFixed(1)}x the current one\n`,
);
