/**
 * Benchmark: reverse-sync throughput and lag. Convex is the EMBEDDED target
 * (this project's convex/ run in-process by convex-test with the indexed
 * store), not a Convex deployment: its figures include convex-test's cost and
 * none of a real deployment's network or scheduling. Postgres is a dedicated
 * database on the real server (TANDEM_BENCH_PG_URL) with the story site's
 * schema, capture installed and the test fixture seeded.
 *
 *   backlog: --rows story_done rows inserted in Convex through withChangeLog
 *            (--per-mutation rows per mutation), then one worker drains the
 *            log: rows/s from first page to last commit.
 *   live:    a producer writes --rate rows/s for --seconds while the worker
 *            runs; the lag (age of the oldest unapplied entry) is sampled every
 *            100 ms and summarized.
 *
 *   npm run bench:reverse-sync -- [--rows 2000] [--per-mutation 20] [--rate 200] [--seconds 5]
 */
import { parseArgs } from 'node:util';
import { withChangeLog } from '../examples/story-site/convex/tandem/changeLog.js';
import type { MirrorWriter } from '../examples/story-site/convex/tandem/types.js';
import { createAppSchema } from '../examples/story-site/src/app/schema.js';
import { installCapture } from '../src/capture/index.js';
import { EmbeddedConvexTarget } from '../src/convex/embeddedTarget.js';
import { silentLogger } from '../src/log.js';
import { migrate } from '../src/postgres/migrate.js';
import { mirrorMapper } from '../src/relay/changeMapper.js';
import { createRelayMetrics } from '../src/relay/metrics.js';
import { Relay } from '../src/relay/relay.js';
import { changeLogSource } from '../src/reverseSync/changeLog.js';
import { ReverseSyncWorker } from '../src/reverseSync/worker.js';
import { seedFixture } from '../test/support/appFixture.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../test/support/storySiteMirror.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine } from './support/machine.js';
import { fixed, summarize } from './support/stats.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000' },
    'per-mutation': { type: 'string', default: '20' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '5' },
  },
});
const ROWS = Number(values.rows);
const PER_MUTATION = Number(values['per-mutation']);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);

let nextId = 1_000_000;

async function writeRows(target: EmbeddedConvexTarget, count: number): Promise<void> {
  await target.run(async (ctx) => {
    const db = withChangeLog(ctx.db as unknown as MirrorWriter, { tables: ['story_done'] });
    for (let i = 0; i < count; i++)
      await db.insert('story_done', {
        id: nextId++,
        user_id: 1 + (i % 5),
        story_id: 1,
        time: Date.now(),
      });
  });
}

await withBenchDatabases(1, 10, async ([db]) => {
  const pool = db!.pool;
  await createAppSchema(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await installCapture(pool, storySiteCapture());
  await seedFixture(pool);
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  await new Relay(
    { tool: DEFAULT_TOOL_SCHEMA,
      pool,
      target,
      mapper: mirrorMapper(STORY_SITE_TABLES),
      metrics: createRelayMetrics(),
      log: silentLogger,
    },
    { idleMs: 5 },
  ).drain();
  const source = changeLogSource(target);
  const worker = new ReverseSyncWorker({ tool: DEFAULT_TOOL_SCHEMA,
    pool,
    source,
    config: STORY_SITE_TABLES,
    log: silentLogger,
    idleMs: 20,
  });
  await worker.raiseConvexVersionFloor();
  const machine = await describeMachine(pool);

  // Backlog.
  for (let written = 0; written < ROWS; written += PER_MUTATION)
    await writeRows(target, Math.min(PER_MUTATION, ROWS - written));
  const started = performance.now();
  const drained = await worker.drain(undefined, 600_000);
  const backlogSeconds = (performance.now() - started) / 1000;
  const applied = (
    await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM story_done WHERE id >= 1000000')
  ).rows[0]!.n;
  if (!drained.drained || applied !== ROWS)
    throw new Error(`backlog not applied: ${JSON.stringify(drained)}, ${applied} rows`);

  // Live: producer at RATE rows/s in mutations of PER_MUTATION, worker running, lag sampled.
  const running = worker.start();
  const lags: number[] = [];
  let producing = true;
  const sampler = (async () => {
    while (producing) {
      const cursor = Number(
        (await pool.query('SELECT cursor_seq FROM tandem.reverse_sync_state')).rows[0].cursor_seq,
      );
      const { oldestLoggedAt } = await source.pendingChanges(cursor);
      lags.push(oldestLoggedAt === null ? 0 : Date.now() - oldestLoggedAt);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const liveStart = performance.now();
  let liveRows = 0;
  while (performance.now() - liveStart < SECONDS * 1000) {
    await writeRows(target, PER_MUTATION);
    liveRows += PER_MUTATION;
    const due = liveStart + (liveRows / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const liveSeconds = (performance.now() - liveStart) / 1000;
  const tail = await worker.drain(undefined, 600_000);
  producing = false;
  await sampler;
  await worker.stop();
  await running;
  const lag = summarize(lags);

  console.log(`machine: ${JSON.stringify(machine)}`);
  console.log(
    'Convex target: embedded (convex-test in-process, indexed store) — not a Convex deployment',
  );
  console.log(
    `backlog: ${ROWS} rows in ${ROWS / PER_MUTATION} mutations applied in ${fixed(backlogSeconds)} s = ${fixed(ROWS / backlogSeconds, 0)} rows/s`,
  );
  console.log(
    `live: ${liveRows} rows at ${fixed(liveRows / liveSeconds, 0)} rows/s offered for ${fixed(liveSeconds, 1)} s; ` +
      `lag p50 ${fixed(lag.p50, 0)} ms, p99 ${fixed(lag.p99, 0)} ms, max ${fixed(Math.max(...lags), 0)} ms (${lag.count} samples); drained after: ${tail.drained}`,
  );
  await target.close();
});
