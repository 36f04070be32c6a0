/**
 * Write-pause time of a write rollback (docs/write-cutover.md) under live
 * writes: `--writers` loops write through the write router the whole time; a
 * group is switched to `convex` and rolled back `--rounds` times. Each
 * rollback pauses the group (the router held in-process as `hold`, and every
 * WriteFlags client through `paused_at`), drains, switches, resumes; printed:
 * the pause per rollback (p50, p99, max) and the longest a write waited.
 *
 * Not Convex: the Convex write is modeled as a wait of `--convex-ms`
 * (default 8) and the reverse-sync drain as a wait of `--drain-ms` (default
 * 50), so the figure is the router's and the flag store's own cost on real
 * PostgreSQL plus the modeled drain. Postgres writes are real INSERTs; after
 * the run, the rows in Postgres equal the writes acknowledged at `postgres`.
 *
 *   npx tsx bench/writePause.ts [--rounds 10] [--writers 4] [--convex-ms 8] [--drain-ms 50]
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { migrate } from '../src/postgres/migrate.js';
import {
  createWriteCutoverMetrics,
  createWriteRouter,
  rollbackWriteStage,
  saveWriteGroups,
  setWriteStage,
  WriteFlags,
} from '../src/index.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    writers: { type: 'string', default: '4' },
    'convex-ms': { type: 'string', default: '8' },
    'drain-ms': { type: 'string', default: '50' },
  },
});
const ROUNDS = Number(values.rounds);
const WRITERS = Number(values.writers);
const CONVEX_MS = Number(values['convex-ms']);
const DRAIN_MS = Number(values['drain-ms']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const as = { actor: 'bench', why: 'bench' };
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

await withBenchDatabases(1, 10, async ([db]) => {
  const pool = db!.pool;
  printMachine(await describeMachine(pool));
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await pool.query('CREATE TABLE bench_order (id serial PRIMARY KEY, writer int NOT NULL)');
  await saveWriteGroups(
    pool, DEFAULT_TOOL_SCHEMA,
    [{ name: 'orders', tables: ['bench_order'], writePaths: ['placeOrder'] }],
    as,
  );
  const flags = await WriteFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool });
  const metrics = createWriteCutoverMetrics(new Registry());
  const acknowledged = { postgres: 0, convex: 0 };
  const router = createWriteRouter({
    stages: flags,
    groups: { placeOrder: 'orders' },
    postgres: {
      placeOrder: async (writer: number) => {
        await pool.query('INSERT INTO bench_order (writer) VALUES ($1)', [writer]);
        acknowledged.postgres++;
      },
    },
    convex: {
      placeOrder: async () => {
        await sleep(CONVEX_MS);
        acknowledged.convex++;
      },
    },
    metrics,
  });
  let running = true;
  const loops = Array.from({ length: WRITERS }, async (_, w) => {
    while (running) await router.writes.placeOrder(w);
  });
  const pauses: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await setWriteStage(pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'orders',
      stage: 'convex',
      force: true,
      gates: async () => [],
    });
    while (flags.stageOf('orders') !== 'convex') await sleep(10);
    await sleep(100);
    const result = await rollbackWriteStage(pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'orders',
      hold: router,
      drain: { drain: async () => (await sleep(DRAIN_MS), { drained: true, pending: 0 }) },
    });
    pauses.push(result.pauseMs);
    while (flags.stageOf('orders') !== 'postgres') await sleep(10);
    await sleep(100);
  }
  running = false;
  await Promise.all(loops);
  await flags.close();
  const rows = Number(
    (await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM bench_order')).rows[0]!.n,
  );
  const waited = (await metrics.pauseWait.get()).values;
  const waitCount = waited.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const waitSum = waited.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  console.log(
    `rounds ${ROUNDS}, writers ${WRITERS}, convex modeled ${CONVEX_MS} ms, drain modeled ${DRAIN_MS} ms`,
  );
  console.log(
    `rollback pause ms: p50 ${pct(pauses, 50).toFixed(1)}  p99 ${pct(pauses, 99).toFixed(1)}  max ${Math.max(...pauses).toFixed(1)}`,
  );
  console.log(
    `writes held: ${waitCount}, mean wait ${waitCount ? ((waitSum / waitCount) * 1000).toFixed(1) : '-'} ms`,
  );
  console.log(
    `writes acknowledged: postgres ${acknowledged.postgres}, convex (modeled) ${acknowledged.convex}; rows in postgres ${rows}`,
  );
  if (rows !== acknowledged.postgres)
    throw new Error('rows in postgres differ from the writes acknowledged at postgres');
});
