/**
 * Benchmark: the write cutover on the story site. Convex is the EMBEDDED
 * target (the story site's convex/ run in-process by convex-test: the local
 * stand-in's engine), not a Convex deployment; Postgres is a dedicated
 * database on the real server with the story site's schema, capture on and
 * the extended fixture. The relay and the reverse-sync worker run in this
 * process.
 *
 *   latency: --ops writes per write path of the approvals' group through the
 *            write router, at stage `postgres` and then at `convex`, each
 *            write followed by one plain Postgres UPDATE (the baseline, in
 *            the same run); p50/p99 and the ratio p50/baseline p50.
 *   reverse sync: the Convex writes of the latency run are left in the change
 *            log (worker stopped), then drained by one worker: changes/s;
 *            then --seconds of live Convex writes with the worker running,
 *            the lag (age of the oldest unapplied entry) sampled every 100 ms.
 *   pause:   --rounds cutovers (cutoverWriteStage) and rollbacks
 *            (rollbackWriteStage) under --writers live writers, the router
 *            as `hold`; p50/p99 of each pause.
 *
 *   npx tsx bench/writeCutover.ts [--ops 40] [--seconds 3] [--rounds 5] [--writers 2]
 */
import { parseArgs } from 'node:util';
import { storySiteWriteGroups } from '../examples/story-site/src/app/writeGroups.js';
import { changeLogSource } from '../src/reverseSync/changeLog.js';
import { drainReverseSync, ReverseSyncWorker } from '../src/reverseSync/worker.js';
import { admin, editor } from '../test/support/appFixture.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed, summarize } from './support/stats.js';
import { startStorySiteWriteCutover } from './support/storySiteWriteCutover.js';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    writers: { type: 'string', default: '2' },
  },
});
const OPS = Number(values.ops);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const WRITERS = Number(values.writers);
const GROUP = storySiteWriteGroups.toggleApproval!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withBenchDatabases(1, 20, async ([db]) => {
  const pool = db!.pool;
  printMachine(await describeMachine(pool));
  console.log(
    'Convex target: embedded (convex-test in-process, the local stand-in engine) — not a Convex deployment',
  );
  const site = await startStorySiteWriteCutover(pool);
  const { convex, flags, router, deps, reverseSync } = site;
  const paths: Record<string, (i: number) => Promise<unknown>> = {
    toggleApproval: (i) =>
      router.writes.toggleApproval(deps, editor(1 + (i % 4)), { story_id: 1 + (i % 4) }),
    togglePublished: (i) => router.writes.togglePublished(deps, admin(9), { id: 1 + (i % 4) }),
    setLanguageDefaultText: (i) =>
      router.writes.setLanguageDefaultText(deps, editor(1), { id: 1, default_text: `text ${i}` }),
  };
  const baselineWrite = (i: number) =>
    pool.query('UPDATE avatar SET name = $1 WHERE id = (SELECT min(id) FROM avatar)', [`b${i}`]);
  const cutover = () => site.cutover(GROUP);
  const rollback = () => site.rollback(GROUP);

  async function latencies(stage: string): Promise<void> {
    const times = new Map<string, number[]>(
      [...Object.keys(paths), 'baseline'].map((p) => [p, []]),
    );
    for (let i = 0; i < OPS; i++)
      for (const [name, run] of Object.entries(paths)) {
        let t = performance.now();
        await run(i);
        times.get(name)!.push(performance.now() - t);
        t = performance.now();
        await baselineWrite(i);
        times.get('baseline')!.push(performance.now() - t);
      }
    const base = summarize(times.get('baseline')!);
    console.log(
      `write latency at ${stage} (${OPS} per path; baseline: one plain Postgres UPDATE after each write)`,
    );
    for (const [name, xs] of times) {
      const s = summarize(xs);
      console.log(
        `  ${name.padEnd(24)} p50 ${fixed(s.p50)} ms  p99 ${fixed(s.p99)} ms  p50 ×${fixed(s.p50 / base.p50, 1)} baseline`,
      );
    }
  }

  await latencies('postgres');
  const first = await cutover();
  await flags.refresh();
  console.log(`first cutover: pause ${fixed(first.pauseMs, 1)} ms`);
  await latencies('convex (embedded target)');

  const backlog = (await changeLogSource(convex).pendingChanges(0)).pending;
  let t = performance.now();
  const drained = await drainReverseSync(reverseSync(), undefined, 120_000);
  const seconds = (performance.now() - t) / 1000;
  console.log(
    `reverse sync backlog: ${backlog} changes drained in ${fixed(seconds)} s = ${fixed(backlog / seconds, 0)} changes/s (drained ${drained.drained})`,
  );

  const worker = new ReverseSyncWorker(reverseSync());
  const running = worker.start();
  let stop = false;
  const lags: number[] = [];
  const sampler = (async () => {
    while (!stop) {
      await sleep(100);
      const pending = await changeLogSource(convex).pendingChanges(
        Number(
          (await pool.query('SELECT cursor_seq FROM tandem.reverse_sync_state')).rows[0].cursor_seq,
        ),
      );
      lags.push(pending.oldestLoggedAt === null ? 0 : Date.now() - pending.oldestLoggedAt);
    }
  })();
  const writer = async (w: number) => {
    let i = w * 1000;
    while (!stop) {
      await paths.toggleApproval!(i++);
      await sleep(2);
    }
  };
  t = performance.now();
  const live = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  await sleep(SECONDS * 1000);
  stop = true;
  await Promise.all([live, sampler]);
  const lag = summarize(lags);
  console.log(
    `reverse sync live: ${WRITERS} writers of toggleApproval for ${fixed((performance.now() - t) / 1000, 1)} s; lag p50 ${fixed(lag.p50, 0)} ms  p99 ${fixed(lag.p99, 0)} ms (${lag.count} samples)`,
  );
  await worker.stop();
  await running;

  // Pauses under live writes: the group is at convex now; rollback first.
  stop = false;
  const traffic = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w + 10)));
  const worker2 = new ReverseSyncWorker(reverseSync());
  const running2 = worker2.start();
  const pauses = { cutover: [] as number[], rollback: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    await sleep(300);
    pauses.rollback.push((await rollback()).pauseMs);
    await flags.refresh();
    await sleep(300);
    pauses.cutover.push((await cutover()).pauseMs);
    await flags.refresh();
  }
  stop = true;
  await traffic;
  await worker2.stop();
  await running2;
  for (const [what, xs] of Object.entries(pauses)) {
    const s = summarize(xs);
    console.log(
      `write pause, ${what} under ${WRITERS} writers (${ROUNDS} rounds): p50 ${fixed(s.p50, 1)} ms  p99 ${fixed(s.p99, 1)} ms  max ${fixed(Math.max(...xs), 1)} ms`,
    );
  }
  await site.close();
});
