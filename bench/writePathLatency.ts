/**
 * Benchmark: write latency of every write path of the story site (the 17 of
 * its write router: DOMAIN.md 1–13 with their variants) at write stage
 * `postgres` and at `convex`. Convex is the EMBEDDED target (the story site's
 * convex/ in convex-test, in this process), not a Convex deployment: the
 * `convex` figures say what the router and the Convex write paths cost here,
 * nothing about a deployment's network. Postgres is a dedicated database on
 * the real server (bench/support/storySiteWriteCutover.ts).
 *
 * The stages alternate in --blocks blocks (postgres, convex, postgres, …), so
 * load that drifts during the run lands on both: between blocks every write
 * group is cut over (cutoverWriteStage, forced and audited) or rolled back
 * (rollbackWriteStage, which drains reverse sync first). In a block, each
 * path runs --ops times, each write followed by the baseline: one plain
 * UPDATE of an uncaptured Postgres table, in the same loop. The relay and a
 * reverse-sync worker run in this process throughout, as they would beside
 * a live site.
 *
 * The run ends at `postgres` and checks that every story_done row written
 * (at either stage) is in Postgres: the figures are of writes that landed.
 *
 *   npx tsx bench/writePathLatency.ts [--blocks 6] [--ops 35]
 */
import { parseArgs } from 'node:util';
import { storySiteGroups } from '../examples/story-site/src/app/writeGroups.js';
import type { StorySiteWritePathName } from '../examples/story-site/src/app/writes/routing.js';
import { ReverseSyncWorker } from '../src/reverseSync/worker.js';
import { admin, editor, reader } from '../test/support/appFixture.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { fixed, markdownTable, summarize } from './support/stats.js';
import { startStorySiteWriteCutover } from './support/storySiteWriteCutover.js';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '6' },
    ops: { type: 'string', default: '35' },
  },
});
const BLOCKS = Number(values.blocks);
const OPS = Number(values.ops);
if (!Number.isInteger(BLOCKS) || BLOCKS < 2 || !Number.isInteger(OPS) || OPS < 1)
  throw new Error('--blocks must be an integer ≥ 2 (one block per stage at least) and --ops ≥ 1');

type Stage = 'postgres' | 'convex';
const STAGES: readonly Stage[] = ['postgres', 'convex'];
/** story_done rows one recordStoryDoneBatch call writes. */
const BATCH = 4;
/** The editor whose approvals toggleApproval adds and removeApproval takes away (the fixture has none of theirs). */
const APPROVER = 5;

await withBenchDatabases(1, 20, async ([db]) => {
  const pool = db!.pool;
  printMachine(await describeMachine(pool));
  console.log(
    'Convex target: embedded (convex-test in-process, the local stand-in engine) — not a Convex deployment',
  );
  // Creating paths draw ids from Convex's reserved ranges: enough for a block, with room.
  const site = await startStorySiteWriteCutover(pool, Math.max(2_000, OPS * (BATCH + 4) * 2));
  const { convex, router, deps } = site;
  const w = router.writes;
  await pool.query('CREATE TABLE bench_baseline (id int PRIMARY KEY, v text); INSERT INTO bench_baseline VALUES (1, NULL)');
  const baselineWrite = (i: number) => pool.query('UPDATE bench_baseline SET v = $1 WHERE id = 1', [`b${i}`]);
  // Imported stories pile up (deleted) in a course of their own: both stores recount the course a
  // write touches, so importing into a course another path writes would slow that path block by block.
  const imports = (
    await pool.query<{ id: number }>(
      `INSERT INTO course (short, learning_language, from_language, name) VALUES ('en-ar', 1, 2, 'Imports') RETURNING id`,
    )
  ).rows[0]!.id;
  const storyDoneBefore = await storyDoneCount();
  let stage: Stage = 'postgres';

  async function storyDoneCount(): Promise<number> {
    return (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM story_done')).rows[0]!.n;
  }
  /** The id of the approval toggleApproval just added, read from the store that wrote it (not timed). */
  async function addedApproval(storyId: number): Promise<number> {
    const id =
      stage === 'postgres'
        ? (
            await pool.query<{ id: number }>(
              'SELECT id FROM story_approval WHERE story_id = $1 AND user_id = $2',
              [storyId, APPROVER],
            )
          ).rows[0]?.id
        : ((await convex.documents('story_approval')).find(
            (d) => d.story_id === storyId && d.user_id === APPROVER,
          )?.id as number | undefined);
    if (id === undefined) throw new Error(`no approval of story ${storyId} by user ${APPROVER} at ${stage}`);
    return id;
  }

  // Each path's write for iteration i. importStory's new story is what deleteStory deletes, and
  // toggleApproval always adds what removeApproval takes away (its id looked up untimed, in
  // block()), so every block leaves the same shape.
  let imported = 0;
  let approval = 0;
  const approvedStory = (i: number) => 6 + (i % 4);
  const paths: Record<StorySiteWritePathName, (i: number) => Promise<unknown>> = {
    saveStory: (i) =>
      w.saveStory(deps, editor(2), {
        id: 1 + (i % 5),
        course_id: 1,
        set_id: 1,
        set_index: 1 + (i % 5),
        todo_count: i % 3,
        text: `text ${i}`,
      }),
    importStory: async (i) => {
      imported = (await w.importStory(deps, editor(4), { story_id: 1 + (i % 5), course_id: imports })).id;
    },
    deleteStory: () => w.deleteStory(deps, editor(1), { id: imported }),
    toggleApproval: async (i) => {
      const outcome = await w.toggleApproval(deps, editor(APPROVER), { story_id: approvedStory(i) });
      if (outcome.action !== 'added') throw new Error(`toggleApproval ${outcome.action}, expected added`);
    },
    removeApproval: () => w.removeApproval(deps, admin(9), { id: approval }),
    togglePublished: (i) => w.togglePublished(deps, admin(9), { id: 1 + (i % 4) }),
    recordStoryDone: (i) => w.recordStoryDone(deps, reader(3), { story_id: 1 + (i % 9) }),
    recordStoryDoneBatch: (i) =>
      w.recordStoryDoneBatch(
        deps,
        admin(9),
        Array.from({ length: BATCH }, (_, k) => ({ story_id: 1 + ((i + k) % 9), user_id: k % 2 ? 4 : null })),
      ),
    saveCourse: (i) =>
      w.saveCourse(deps, admin(9), {
        id: 3,
        learning_language: 4,
        from_language: 3,
        name: `French ${i}`,
        tags: i % 2 ? 'A, b  c' : ['X', 'y'],
      }),
    // Alternating names: every call is a rename, which rewrites the names copied into course 3.
    saveLanguage: (i) => w.saveLanguage(deps, admin(9), { id: 4, name: i % 2 ? 'Francais' : 'Français', short: 'fr' }),
    setLanguageDefaultText: (i) => w.setLanguageDefaultText(deps, editor(1), { id: 1, default_text: `text ${i}` }),
    setLanguageTtsReplace: (i) => w.setLanguageTtsReplace(deps, editor(1), { id: 2, tts_replace: `tts ${i}` }),
    setAvatarSpeaker: (i) =>
      w.setAvatarSpeaker(deps, editor(2), { avatar_id: 1, language_id: 1 + (i % 4), name: `n${i}`, speaker: 'voice' }),
    saveLocalization: (i) =>
      w.saveLocalization(deps, editor(2), { language_id: 1 + (i % 4), tag: 'hello', text: `t${i}` }),
    saveImage: (i) =>
      w.saveImage(deps, admin(9), {
        id: 'img-a',
        active: `a${i % 2}.svg`,
        gilded: 'g.svg',
        locked: 'l.svg',
        active_lip: '#fff',
        gilded_lip: '#000',
      }),
    saveAvatar: (i) => w.saveAvatar(deps, admin(9), { id: 1, link: 'https://a.example', name: `Av ${i}` }),
    saveSpeaker: (i) =>
      w.saveSpeaker(deps, admin(9), {
        id: 1,
        language_id: 1,
        speaker: 'voice-0',
        gender: i % 2 ? 'FEMALE' : 'MALE',
        type: 'NEURAL',
        service: 'azure',
      }),
  };
  const names = [...Object.keys(paths), 'baseline'];
  const times = new Map(STAGES.map((s) => [s, new Map(names.map((n) => [n, [] as number[]]))]));

  async function block(b: number): Promise<void> {
    const into = times.get(stage)!;
    for (let k = 0; k < OPS; k++) {
      const i = b * OPS + k;
      for (const [name, run] of Object.entries(paths)) {
        let t = performance.now();
        try {
          await run(i);
        } catch (err) {
          throw new Error(`${name} failed at ${stage} (block ${b}, write ${k})`, { cause: err });
        }
        into.get(name)!.push(performance.now() - t);
        if (name === 'toggleApproval') approval = await addedApproval(approvedStory(i));
        t = performance.now();
        await baselineWrite(i);
        into.get('baseline')!.push(performance.now() - t);
      }
    }
  }

  /** Moves every write group to `to`, one after the other; the slowest pause and the whole move's time. */
  async function moveAll(to: Stage): Promise<string> {
    const started = performance.now();
    let maxPause = 0;
    for (const group of storySiteGroups) {
      const moved = to === 'convex' ? await site.cutover(group.name) : await site.rollback(group.name);
      maxPause = Math.max(maxPause, moved.pauseMs);
    }
    await site.flags.refresh();
    stage = to;
    return `${storySiteGroups.length} groups to ${to} in ${fixed((performance.now() - started) / 1000, 1)} s, longest pause ${fixed(maxPause, 0)} ms`;
  }

  const worker = new ReverseSyncWorker(site.reverseSync());
  const working = worker.start();
  const runStarted = performance.now();
  for (let b = 0; b < BLOCKS; b++) {
    const want = STAGES[b % 2]!;
    if (stage !== want) console.log(`  moved ${await moveAll(want)}`);
    const t = performance.now();
    await block(b);
    console.log(`block ${b + 1}/${BLOCKS} at ${stage}: ${fixed((performance.now() - t) / 1000, 1)} s`);
  }
  if (stage !== 'postgres') console.log(`  moved ${await moveAll('postgres')}`);
  await worker.stop();
  await working;

  const written = BLOCKS * OPS * (1 + BATCH);
  const landed = (await storyDoneCount()) - storyDoneBefore;
  if (landed !== written)
    throw new Error(`story_done rows in Postgres after the run: ${landed}, written: ${written}`);
  console.log(
    `run: ${fixed((performance.now() - runStarted) / 1000, 1)} s; all ${written} story_done rows written at either stage are in Postgres`,
  );

  console.log(
    `\nwrite latency per path, ms (${OPS * Math.ceil(BLOCKS / 2)} writes per path at postgres, ${OPS * Math.floor(BLOCKS / 2)} at convex; ×: p50 over the baseline's p50 at the same stage)`,
  );
  const base = new Map(STAGES.map((s) => [s, summarize(times.get(s)!.get('baseline')!).p50]));
  const cell = (s: Stage, name: string) => {
    const x = summarize(times.get(s)!.get(name)!);
    return `${fixed(x.p50, 1)} / ${fixed(x.p99, 1)} (×${fixed(x.p50 / base.get(s)!, 1)})`;
  };
  console.log(
    markdownTable(
      ['write path', 'postgres p50 / p99 (×)', 'convex, embedded p50 / p99 (×)'],
      names.map((n) => [n, cell('postgres', n), cell('convex', n)]),
    ),
  );
  await site.close();
});
