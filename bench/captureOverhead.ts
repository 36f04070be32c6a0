/**
 * Benchmark: what the capture trigger costs the application's write paths.
 *
 * One database per variant on the real PostgreSQL server, all with the same
 * sample data; two get Tandem's capture, one a minimal trigger that shows what
 * one more row per change costs (the floor any trigger-based outbox pays). N concurrent clients run the same mix of
 * every write path against each, in alternating blocks (the order rotates
 * every block) so that drift in the machine's load hits all variants alike.
 * Prints p50/p99 latency per write path and overall, and throughput, per variant.
 *
 *   npm run bench:capture -- [--scale 0.1] [--clients 4] [--ops 4800] [--blocks 12] [--seed 7]
 */
import { parseArgs } from 'node:util';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { SampleUserDirectory } from '../examples/story-site/src/app/userDirectory.js';
import { installCapture } from '../src/capture/index.js';
import { installFloorCapture } from './support/floorCapture.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases, type BenchDatabase } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { BenchRandom } from './support/random.js';
import { VARIANTS, type CaptureKind, type Variant, type VariantName } from './support/runners.js';
import { fixed, markdownTable, overheadPercent, summarize } from './support/stats.js';
import { nextOp, WRITE_MIX, type BenchClient, type OpContext } from './support/writeMix.js';
import { loadWriteWorld, type WriteWorld } from './support/writeWorld.js';
import { storySiteCapture } from '../test/support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.1' },
    clients: { type: 'string', default: '4' },
    ops: { type: 'string', default: '4800' },
    blocks: { type: 'string', default: '12' },
    seed: { type: 'string', default: '7' },
  },
});
const SCALE = Number(args.scale);
const CLIENTS = Number(args.clients);
const OPS = Number(args.ops);
const BLOCKS = Number(args.blocks);
const SEED = Number(args.seed);
/** The sample's "now", fixed so that every database gets identical rows. */
const REFERENCE_DATE = new Date('2026-11-25T00:00:00Z');

interface VariantRun {
  variant: Variant;
  db: BenchDatabase;
  ctxs: OpContext[];
  latencies: Map<string, number[]>;
  wallMs: number;
  errors: Map<string, number>;
}

async function prepare(db: BenchDatabase, capture: CaptureKind): Promise<void> {
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  await generateSample(db.pool, { scale: SCALE, seed: 1, referenceDate: REFERENCE_DATE });
  if (capture === 'tandem') await installCapture(db.pool, { ...storySiteCapture(), actor: 'bench' });
  if (capture === 'floor') await installFloorCapture(db.pool);
  await db.pool.query('VACUUM ANALYZE');
}

function clientsFor(variant: Variant, db: BenchDatabase, world: WriteWorld): OpContext[] {
  const deps = { pool: db.pool, runner: variant.runner(db.pool), users: new SampleUserDirectory() };
  return Array.from({ length: CLIENTS }, (_, index) => {
    const client: BenchClient = {
      index,
      clients: CLIENTS,
      rand: new BenchRandom(SEED * 1000 + index),
      imported: [],
    };
    return { deps, world, client };
  });
}

/** Each client runs `perClient` operations; returns the block's wall time. */
async function runBlock(run: VariantRun, perClient: number, record: boolean): Promise<void> {
  const started = performance.now();
  await Promise.all(
    run.ctxs.map(async (ctx) => {
      for (let i = 0; i < perClient; i++) {
        const op = nextOp(ctx.client);
        try {
          const timed = await op.run(ctx);
          if (!record) continue;
          const list = run.latencies.get(timed.name) ?? [];
          list.push(timed.ms);
          run.latencies.set(timed.name, list);
        } catch (err) {
          const key = `${op.name}: ${(err as Error).message}`.slice(0, 160);
          run.errors.set(key, (run.errors.get(key) ?? 0) + 1);
        }
      }
    }),
  );
  if (record) run.wallMs += performance.now() - started;
}

function report(runs: VariantRun[]): void {
  const byName = new Map(runs.map((r) => [r.variant.name, r]));
  const get = (v: VariantName) => byName.get(v)!;
  const paths = WRITE_MIX.map((op) => op.name);
  const all = (r: VariantRun) => [...r.latencies.values()].flat();
  const row = (label: string, pick: (r: VariantRun) => number[]) => {
    const [off, key, floor, on, helper] = (
      ['off', 'off+key', 'floor', 'on', 'on+helper'] as const
    ).map((v) => summarize(pick(get(v))));
    return [
      label,
      String(off!.count),
      fixed(off!.p50),
      fixed(key!.p50),
      fixed(floor!.p50),
      overheadPercent(off!.p50, floor!.p50),
      fixed(on!.p50),
      overheadPercent(off!.p50, on!.p50),
      fixed(helper!.p50),
      overheadPercent(off!.p50, helper!.p50),
      fixed(off!.p99),
      fixed(on!.p99),
      overheadPercent(off!.p99, on!.p99),
    ];
  };
  process.stdout.write(
    '\nLatency in ms per write path (n = operations measured per variant; Δ = vs off):\n\n',
  );
  process.stdout.write(
    markdownTable(
      [
        'write path',
        'n',
        'off p50',
        'off+key p50',
        'floor p50',
        'floor Δ p50',
        'on p50',
        'on Δ p50',
        'on+helper p50',
        'on+helper Δ p50',
        'off p99',
        'on p99',
        'on Δ p99',
      ],
      [...paths.map((p) => row(p, (r) => r.latencies.get(p) ?? [])), row('**all**', all)],
    ),
  );
  process.stdout.write("\nThroughput (operations / summed wall time of the variant's blocks):\n\n");
  const off = all(get('off')).length / (get('off').wallMs / 1000);
  process.stdout.write(
    markdownTable(
      ['variant', 'ops', 'wall s', 'ops/s', 'vs off', 'errors'],
      runs.map((r) => {
        const ops = all(r).length;
        const rate = ops / (r.wallMs / 1000);
        const errors = [...r.errors.values()].reduce((a, b) => a + b, 0);
        return [
          r.variant.name,
          String(ops),
          fixed(r.wallMs / 1000, 1),
          fixed(rate, 0),
          overheadPercent(off, rate),
          String(errors),
        ];
      }),
    ),
  );
  for (const r of runs)
    for (const [msg, n] of r.errors)
      process.stdout.write(`error (${r.variant.name}) x${n}: ${msg}\n`);
  const overall = summarize(all(get('off'))).p50;
  const onP50 = summarize(all(get('on'))).p50;
  const pct = ((onP50 - overall) / overall) * 100;
  const floorPct = ((summarize(all(get('floor'))).p50 - overall) / overall) * 100;
  process.stdout.write(
    `\nFloor: one more row per change, written by the cheapest possible trigger, costs ${floorPct.toFixed(1)} % at p50\n`,
  );
  process.stdout.write(
    `\nTarget: overall p50 overhead of capture (on vs off) under 15 %: ${pct.toFixed(1)} % -> ${pct < 15 ? 'MET' : 'NOT MET'}\n`,
  );
}

async function outboxCounts(db: BenchDatabase): Promise<string> {
  const { rows } = await db.pool.query<{ events: number; untracked: number }>(
    `SELECT count(*)::int AS events, count(*) FILTER (WHERE operation_key IS NULL)::int AS untracked FROM tandem.outbox`,
  );
  return `${rows[0]!.events} events captured, ${rows[0]!.untracked} untracked`;
}

async function main(): Promise<void> {
  await withBenchDatabases(VARIANTS.length, CLIENTS + 2, async (dbs) => {
    printMachine(await describeMachine(dbs[0]!.pool));
    process.stdout.write(
      `capture overhead: scale ${SCALE}, ${CLIENTS} concurrent clients, ${OPS} measured operations per variant ` +
        `in ${BLOCKS} alternating blocks, seed ${SEED}\n` +
        'target: none (no Convex call at all; the mirror fast path is a separate cost, not measured here)\n',
    );
    for (const v of VARIANTS) process.stdout.write(`  ${v.name}: ${v.describe}\n`);
    const setupStarted = performance.now();
    for (const [i, v] of VARIANTS.entries()) await prepare(dbs[i]!, v.capture);
    const world = await loadWriteWorld(dbs[0]!.pool);
    process.stdout.write(
      `set-up: ${dbs.length} databases with the sample in ${fixed((performance.now() - setupStarted) / 1000, 1)} s ` +
        `(${world.stories.length} live stories, ${world.courses.length} courses, ${world.languages.length} languages, ${world.userCount} users)\n`,
    );
    const runs: VariantRun[] = VARIANTS.map((variant, i) => ({
      variant,
      db: dbs[i]!,
      ctxs: clientsFor(variant, dbs[i]!, world),
      latencies: new Map(),
      wallMs: 0,
      errors: new Map(),
    }));
    const perClient = Math.max(1, Math.round(OPS / BLOCKS / CLIENTS));
    for (const run of runs) await runBlock(run, Math.max(1, Math.round(perClient / 2)), false);
    for (let b = 0; b < BLOCKS; b++) {
      const order = runs.map((_, i) => runs[(i + b) % runs.length]!);
      for (const run of order) await runBlock(run, perClient, true);
    }
    report(runs);
    for (const run of runs.filter((r) => r.variant.capture === 'tandem')) {
      process.stdout.write(`outbox of ${run.variant.name}: ${await outboxCounts(run.db)}\n`);
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
