/**
 * Read latency per stage for each of the story site's read paths (DOMAIN.md
 * read paths 1–7: the eleven ReadPaths methods), served through the story
 * site's own routing (`storySiteReadRouting`, the API's) on real PostgreSQL
 * with the sample data. The Convex side is modeled: a wait of `--latency-ms`
 * (default 8) give or take `--jitter` of it (default 0.5: uniform in 4–12 ms)
 * answering the Postgres result for the same call (read once
 * before the run, kept as JSON text) decoded with JSON.parse — what a client
 * does with a response, no more — so only Postgres, the decode and the router
 * do work on this machine's two cores, and shadow's comparisons all match. It
 * is not Convex.
 *
 * Stages `postgres`, `shadow` (Postgres served, the modeled Convex read and the
 * comparison beside it), `shadow-predecoded` (shadow with the modeled read
 * answering an object decoded once before the run: the router's own cost, so
 * what is left of shadow's is the client's decode), `convex` (the modeled
 * read served) and `postgres-again` (postgres once more: how far p50 and p99
 * move between two stages doing the same thing, the run's noise). They
 * alternate in blocks, in a shuffled order per block; within a stage's block every path
 * is read `--reads` times, in rounds of one read per path in a shuffled order,
 * so load drift on the shared machine hits every stage and path alike.
 *
 * Why shuffled rounds and a jittered wait: with a fixed order and a fixed
 * wait, a shadow read's background decode lands a fixed time later, so in the
 * same slot of every round, and one path absorbed another's cost (the longest
 * story's 0.5 ms decode): which paths paid moved with `--latency-ms` (4 ms:
 * localization +49 %, userDoneStories +2 %; 8 ms: userDoneStories +30 %,
 * localization +1 %), which no server's independent requests do. Per path: p50 and p99 of each stage over
 * all blocks, shadow's change over postgres (pooled), and the median of the
 * per-block p50 ratios (the paired figure, which load drift between blocks
 * does not move).
 *
 * With `--sample-rates storyById=0.2,…` a sixth stage, `shadow-sampled`, is
 * shadow with those per-path shares (`routedReads`' `sampleRate`, the
 * config's `cutover.shadow.sampleRates`): whether shadowing a path with large
 * results less often takes its background work off the other paths' p99.
 *
 * With `--max-per-second N` a seventh stage, `shadow-budget`, is shadow with
 * the reader's `shadow.maxPerSecond` (the config's
 * `cutover.shadow.maxPerSecond`): at most N comparisons started per second
 * per path, the rest served uncompared. With `--max-share S` (alone or with
 * it) that stage's reader has `shadow.maxShare`: at most that share of all
 * the reads it routes compared, every path together.
 *
 * Every shadowed stage also reports the share of each path's reads that a
 * comparison's work landed on (a modeled Convex answer arrived while the read
 * was in flight) and the p99 of the reads none did: which of shadow's p99 is
 * the comparisons' work landing on reads, and which is anything else.
 *
 * `--stages …,shadow-offthread` (only when named) models shadow run off the
 * serving thread: Postgres serves as in `postgres`, then (on the next turn,
 * as the router starts a shadow read) the served result's JSON text goes to
 * a worker thread (bench/support/offThreadShadow.mjs) that waits the modeled
 * latency, decodes both texts and compares them. What is left on the serving
 * thread is the JSON.stringify and the hand-over — the stringify a server has
 * already done for the response, so this stage pays it twice. Not built in
 * the router: a measurement of whether the design would move shadow's floor.
 * Process CPU then includes the worker's.
 *
 * `--stages a,b` runs only those stages and postgres (the modeled `convex`
 * stage, 8 ms a read, is most of a run's time and no part of shadow's
 * verdict).
 *
 * `--cpu-profile <stage>` runs only that stage's blocks under the V8
 * profiler and writes `storySiteReadStages-<stage>.cpuprofile` (no report):
 * profiles of two stages, diffed by function, show what one adds.
 *
 *   npx tsx bench/storySiteReadStages.ts [--scale 0.1] [--latency-ms 8] [--jitter 0.5] [--blocks 10] [--reads 30] [--sample-rates storyById=0.2] [--max-per-second 20] [--max-share 0.005] [--stages postgres-again,shadow] [--cpu-profile shadow]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import type { Actor } from 'tandem';
import { PostgresReadPaths } from '../examples/story-site/src/app/reads/postgres.js';
import { READ_PATH_TABLES, storySiteReader, storySiteReadRouting } from '../examples/story-site/src/app/reads/routing.js';
import type { ReadPaths } from '../examples/story-site/src/app/reads/types.js';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { createAppSchema } from '../examples/story-site/src/app/schema.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';
import { createCutoverMetrics } from '../src/cutover/metrics.js';
import { canonicalResult, resultsEqual, resultsEqualSliced } from '../src/cutover/shadowCompare.js';
import { ReadStats } from '../src/cutover/readStats.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { FixedStage } from './support/fixedStage.js';
import { describeMachine, printMachine } from './support/machine.js';
import { BenchRandom } from './support/random.js';
import { fixed, markdownTable, overheadPercent, percentile } from './support/stats.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.1' },
    blocks: { type: 'string', default: '10' },
    reads: { type: 'string', default: '30' },
    'latency-ms': { type: 'string', default: '8' },
    jitter: { type: 'string', default: '0.5' },
    'sample-rates': { type: 'string', default: '' },
    'max-per-second': { type: 'string' },
    'max-share': { type: 'string' },
    stages: { type: 'string' },
    'cpu-profile': { type: 'string' },
  },
});
const SCALE = Number(values.scale);
const BLOCKS = Number(values.blocks);
const READS = Number(values.reads);
const LATENCY = Number(values['latency-ms']);
const JITTER = Number(values.jitter);
if (!(JITTER >= 0 && JITTER <= 1)) throw new Error(`--jitter must be within 0–1 (a share of --latency-ms), got ${values.jitter}`);

/** `--sample-rates a=0.2,b=0.5`: a shadow share per read path (routedReads refuses a path it does not have). */
const SAMPLE_RATES: Record<string, number> = Object.fromEntries(
  values['sample-rates']!.split(',').filter(Boolean).map((pair) => {
    const [method, rate] = pair.split('=');
    if (!method || rate === undefined || rate.trim() === '') throw new Error(`--sample-rates: expected path=share, got ${pair}`);
    return [method.trim(), Number(rate)];
  }),
);
const SAMPLED = Object.keys(SAMPLE_RATES).length > 0;
const MAX_PER_SECOND = values['max-per-second'] === undefined ? undefined : Number(values['max-per-second']);
if (MAX_PER_SECOND !== undefined && !(MAX_PER_SECOND > 0)) throw new Error(`--max-per-second must be a positive number, got ${values['max-per-second']}`);
const MAX_SHARE = values['max-share'] === undefined ? undefined : Number(values['max-share']);
if (MAX_SHARE !== undefined && !(MAX_SHARE > 0 && MAX_SHARE <= 1)) throw new Error(`--max-share must be a share above 0 and at most 1, got ${values['max-share']}`);
const BUDGETED = MAX_PER_SECOND !== undefined || MAX_SHARE !== undefined;
/** What the shadow-budget stage's reader is given, for the report. */
const BUDGET_TEXT = [
  MAX_PER_SECOND === undefined ? '' : `at most ${MAX_PER_SECOND} comparisons per second per path`,
  MAX_SHARE === undefined ? '' : `at most ${MAX_SHARE} of all reads compared`,
].filter(Boolean).join(' and ');

const ALL_STAGES = ['postgres', 'postgres-again', 'shadow', 'shadow-predecoded', 'convex', 'shadow-sampled', 'shadow-budget', 'shadow-offthread'] as const;
type Stage = (typeof ALL_STAGES)[number];
const PROFILED = values['cpu-profile'] as Stage | undefined;
if (PROFILED !== undefined && !ALL_STAGES.includes(PROFILED)) throw new Error(`--cpu-profile: one of ${ALL_STAGES.join(', ')}, got ${PROFILED}`);
/** `--stages postgres,shadow,…`: only those (postgres always; the modeled convex stage is the slow one to leave out). */
const CHOSEN = values.stages?.split(',').map((x) => x.trim()).filter(Boolean);
for (const stage of CHOSEN ?? []) if (!ALL_STAGES.includes(stage as Stage)) throw new Error(`--stages: one of ${ALL_STAGES.join(', ')}, got ${stage}`);
const STAGES: readonly Stage[] = PROFILED
  ? [PROFILED]
  : ALL_STAGES.filter(
      (s) =>
        (s !== 'shadow-sampled' || SAMPLED) && (s !== 'shadow-budget' || BUDGETED) &&
        (s !== 'shadow-offthread' || CHOSEN?.includes(s) === true) && (!CHOSEN || s === 'postgres' || CHOSEN.includes(s)),
    );
/** Whether the modeled Convex read decodes its answer per call (every stage but shadow-predecoded). */
let decodePerCall = true;
/** Modeled Convex answers arrived so far: a read during which this moves had a comparison's work land on it. */
let convexAnswers = 0;
type Method = keyof ReadPaths;

interface PathCall {
  /** The DOMAIN.md read path number. */
  path: number;
  method: Method;
  args: unknown[];
}

const callName = (c: PathCall) => `${c.path}. ${c.method}(${c.args.map((a) => JSON.stringify(a)).join(', ')})`;
const callKey = (method: string, args: unknown[]) => `${method}\0${JSON.stringify(args)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Adds a block's times to a run's, in place (copying the run's on every block grows with the run). */
function append(runs: Map<string, number[]>, key: string, times: readonly number[]): void {
  const run = runs.get(key);
  if (run) run.push(...times);
  else runs.set(key, [...times]);
}

function shuffled<T>(items: readonly T[], random: BenchRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A remote Convex modeled as a wait answering the Postgres result read
 * beforehand for the same call, as JSON text decoded per call: a client
 * decodes a response once (structuredClone, used before, also encoded it
 * each time, which no client does).
 */
function modeledConvex(answers: ReadonlyMap<string, string>, random: BenchRandom): ReadPaths {
  const predecoded = new Map([...answers].map(([key, text]) => [key, JSON.parse(text) as unknown]));
  const methods = Object.keys(READ_PATH_TABLES).map((method) => [
    method,
    async (...args: unknown[]) => {
      await sleep(LATENCY * (1 + JITTER * (2 * random.next() - 1)));
      convexAnswers += 1;
      const key = callKey(method, args);
      if (!answers.has(key)) throw new Error(`no modeled answer for ${method}(${JSON.stringify(args)})`);
      if (!decodePerCall) return predecoded.get(key);
      return JSON.parse(answers.get(key)!) as unknown;
    },
  ]);
  return Object.fromEntries(methods) as unknown as ReadPaths;
}

/**
 * How long `work` holds the event loop at most (ms): a chain of setImmediate
 * ticks runs beside it, and the longest gap between two ticks is the longest a
 * served read's answer, arrived meanwhile, would have waited. Median over `reps`.
 */
async function eventLoopHold(work: () => unknown, reps: number): Promise<{ total: number; longest: number }> {
  const totals: number[] = [];
  const longests: number[] = [];
  for (let r = 0; r < reps; r++) {
    let last = performance.now();
    let longest = 0;
    let running = true;
    const tick = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    await work();
    totals.push(performance.now() - started);
    await new Promise((resolve) => setImmediate(resolve));
    running = false;
    longests.push(longest);
  }
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  return { total: median(totals), longest: median(longests) };
}

await withBenchDatabases(1, 10, async ([db]) => {
  const pool = db!.pool;
  printMachine(await describeMachine(pool));
  await createAppSchema(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await generateSample(pool, { scale: SCALE, seed: 1, referenceDate: new Date('2025-06-01Z') });

  // Arguments as readCosts.ts picks them: the largest course, the longest story, its busiest reader and month.
  const one = async <T>(sql: string) => (await pool.query<{ v: T }>(sql)).rows[0]!.v;
  const bigCourse = await one<number>(`SELECT course_id AS v FROM story GROUP BY course_id ORDER BY count(*) DESC, 1 LIMIT 1`);
  const bigShort = await one<string>(`SELECT short AS v FROM course WHERE id = ${bigCourse}`);
  const story = await one<number>(`SELECT id AS v FROM story WHERE deleted IS NOT TRUE ORDER BY length(text) DESC NULLS LAST, id LIMIT 1`);
  const readerId = await one<number>(
    `SELECT d.user_id AS v FROM story_done d JOIN story s ON s.id = d.story_id WHERE s.course_id = ${bigCourse} AND d.user_id IS NOT NULL
      GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
  );
  const month = await one<string>(`SELECT to_char(date_trunc('month', time), 'YYYY-MM') AS v FROM story_done
                                    GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`);
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const image = await one<string>(`SELECT id AS v FROM image ORDER BY id LIMIT 1`);
  const language = await one<number>(`SELECT language_id AS v FROM avatar_mapping GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`);
  const calls: PathCall[] = [
    { path: 1, method: 'publicCourses', args: [] },
    { path: 2, method: 'courseStories', args: [bigShort] },
    { path: 3, method: 'storyById', args: [story] },
    { path: 4, method: 'userDoneStories', args: [readerId, bigCourse] },
    { path: 5, method: 'editorCourses', args: [] },
    { path: 5, method: 'editorCourse', args: [bigCourse] },
    { path: 6, method: 'monthlyStats', args: [year, monthNumber] },
    { path: 7, method: 'localization', args: [language] },
    { path: 7, method: 'languageById', args: [language] },
    { path: 7, method: 'imageById', args: [image] },
    { path: 7, method: 'avatarMappings', args: [language] },
  ];
  const counts = (await pool.query<{ t: string; n: number }>(
    `SELECT 'course' AS t, count(*)::int AS n FROM course UNION ALL SELECT 'story', count(*)::int FROM story
     UNION ALL SELECT 'story_done', count(*)::int FROM story_done`,
  )).rows;
  process.stdout.write(`sample scale ${SCALE}: ${counts.map((r) => `${r.t} ${r.n}`).join(', ')}\n`);

  const postgres = new PostgresReadPaths(pool);
  const answers = new Map<string, string>();
  const invoke = (paths: ReadPaths, c: PathCall) =>
    (paths[c.method] as (...args: unknown[]) => Promise<unknown>).apply(paths, c.args);
  for (const c of calls) answers.set(callKey(c.method, c.args), JSON.stringify(await invoke(postgres, c)));
  process.stdout.write(`result sizes (JSON characters): ${calls.map((c) => `${c.method} ${answers.get(callKey(c.method, c.args))!.length}`).join(', ')}\n`);

  // What a shadow read's background work holds the event loop for, per path
  // (medians of 200): the modeled client's decode, the copy the bench made
  // before (structuredClone), the comparison in one go and in slices, and
  // what hashing the Postgres result would cost instead (a digest design).
  const hold: string[][] = [];
  for (const c of calls) {
    const text = answers.get(callKey(c.method, c.args))!;
    const served = JSON.parse(text) as unknown;
    const decoded = JSON.parse(text) as unknown;
    const parse = await eventLoopHold(() => JSON.parse(text), 200);
    const clone = await eventLoopHold(() => structuredClone(served), 200);
    const whole = await eventLoopHold(() => resultsEqual(served, decoded), 200);
    const sliced = await eventLoopHold(() => resultsEqualSliced(served, decoded), 200);
    // A digest design would hash the Postgres result instead of decoding and walking a second one.
    const digest = await eventLoopHold(() => createHash('sha256').update(canonicalResult(served)).digest('hex'), 200);
    hold.push([callName(c), fixed(parse.longest, 3), fixed(clone.longest, 3), fixed(whole.longest, 3), fixed(sliced.total, 3), fixed(sliced.longest, 3), fixed(digest.longest, 3)]);
  }
  process.stdout.write(
    `\nLongest hold of the event loop per shadow read's background step, ms (medians of 200):\n\n${markdownTable(
      ['read path', 'JSON.parse (the modeled decode)', 'structuredClone (the copy before)', 'comparison in one go', 'sliced comparison, total', 'sliced comparison, longest slice', 'digest: canonical text + SHA-256'],
      hold,
    )}`,
  );

  const flags = new FixedStage();
  const metrics = createCutoverMetrics(new Registry());
  const router = storySiteReader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool, stats: new ReadStats(), metrics });
  const convex = modeledConvex(answers, new BenchRandom(11));
  const route = storySiteReadRouting(router, { postgres, convex });
  const sampledRoute = storySiteReadRouting(router, { postgres, convex }, SAMPLE_RATES);
  // The budgeted reader counts into the same metrics (its skips show there); its buckets are its own.
  // Its clock runs only while its own stage does: in a server the budget refills while that path is
  // being served, not while the bench runs other stages (which would hand it a full bucket each block).
  let budgetClockMs = 0;
  let budgetClockFrom: number | null = null;
  const budgetClock = () => budgetClockMs + (budgetClockFrom === null ? 0 : performance.now() - budgetClockFrom);
  const budgetRouter = storySiteReader({
    tool: DEFAULT_TOOL_SCHEMA, flags, pool, stats: new ReadStats(), metrics,
    shadow: { maxPerSecond: MAX_PER_SECOND, maxShare: MAX_SHARE }, now: budgetClock,
  });
  const budgetRoute = storySiteReadRouting(budgetRouter, { postgres, convex });
  const user: Actor = { userId: readerId, role: 'reader' };
  const served: Record<string, number> = {};
  const onServed = ({ source }: { source: string }) => (served[source] = (served[source] ?? 0) + 1);
  const allPaths = route({ user, onServed });
  const sampledPaths = sampledRoute({ user, onServed });
  const budgetPaths = budgetRoute({ user, onServed });
  let paths = allPaths;
  // shadow-offthread: a worker holding the modeled answers; the serving thread hands it each served result's text.
  const offThread = STAGES.includes('shadow-offthread')
    ? new Worker(new URL('./support/offThreadShadow.mjs', import.meta.url), { workerData: { answers: [...answers] } })
    : null;
  const offThreadLatency = new BenchRandom(13);
  const offThreadCount = { match: 0, differ: 0, pending: 0 };
  let offThreadIdle: (() => void) | null = null;
  offThread?.on('message', (same: boolean) => {
    offThreadCount[same ? 'match' : 'differ'] += 1;
    if (--offThreadCount.pending === 0) offThreadIdle?.();
  });
  const offThreadSettled = () =>
    offThreadCount.pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => (offThreadIdle = resolve));
  let handOff = false;
  /** A read's time (ms), and whether a modeled Convex answer (so a comparison's work) arrived while it was in flight. */
  const readOnce = async (c: PathCall): Promise<{ ms: number; landedOn: boolean }> => {
    const answersBefore = convexAnswers;
    const started = process.hrtime.bigint();
    const value = await invoke(paths, c);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const landedOn = convexAnswers !== answersBefore;
    if (handOff) {
      offThreadCount.pending += 1;
      const latencyMs = LATENCY * (1 + JITTER * (2 * offThreadLatency.next() - 1));
      setImmediate(() => offThread!.postMessage({ key: callKey(c.method, c.args), served: JSON.stringify(value), latencyMs }));
    }
    return { ms, landedOn };
  };
  const setStage = (stage: Stage) => {
    if (budgetClockFrom !== null) budgetClockMs += performance.now() - budgetClockFrom;
    budgetClockFrom = stage === 'shadow-budget' ? performance.now() : null;
    decodePerCall = stage !== 'shadow-predecoded';
    paths = stage === 'shadow-sampled' ? sampledPaths : stage === 'shadow-budget' ? budgetPaths : allPaths;
    handOff = stage === 'shadow-offthread';
    const flagStage =
      stage === 'shadow-offthread' || stage === 'postgres-again' ? 'postgres' : stage.startsWith('shadow') ? 'shadow' : (stage as 'postgres' | 'convex');
    flags.stage = { stage: flagStage, percent: 0, salt: 'bench' };
  };

  // Warm-up: connections, plans, JIT.
  for (const stage of STAGES) {
    setStage(stage);
    for (let i = 0; i < 5; i++) for (const c of calls) await readOnce(c);
  }
  await router.settled();
  await budgetRouter.settled();
  await offThreadSettled();
  // Garbage-collection pauses per stage: each one stops whichever read is in
  // flight, and a stage that allocates more (shadow decodes every response a
  // second time) pauses more often, which reaches the p99 of the fastest paths.
  const gcPauses = new Map<Stage, number[]>(STAGES.map((s) => [s, []]));
  // This process's CPU per stage (user + system, ms): shadow's background work shows here even when it lands between reads.
  const cpuMs = new Map<Stage, number>(STAGES.map((s) => [s, 0]));
  let gcStage: Stage | null = null;
  const gcObserver = new PerformanceObserver((list) => {
    if (gcStage) gcPauses.get(gcStage)!.push(...list.getEntries().map((e: PerformanceEntry) => e.duration));
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const profiler = PROFILED ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const samples = new Map<string, number[]>();
  /** Per path and stage: the reads no modeled Convex answer arrived during. */
  const untouched = new Map<string, number[]>();
  const blockP50s: Array<Map<string, number>> = [];
  const at = (c: PathCall, stage: Stage) => `${callName(c)}\0${stage}`;
  const random = new BenchRandom(7);
  for (let block = 0; block < BLOCKS; block++) {
    const p50s = new Map<string, number>();
    for (const stage of shuffled(STAGES, random)) {
      setStage(stage);
      gcStage = stage;
      const cpuBefore = process.cpuUsage();
      const times = new Map<PathCall, number[]>(calls.map((c) => [c, []]));
      const clear = new Map<PathCall, number[]>(calls.map((c) => [c, []]));
      for (let i = 0; i < READS; i++)
        for (const c of shuffled(calls, random)) {
          const { ms, landedOn } = await readOnce(c);
          times.get(c)!.push(ms);
          if (!landedOn) clear.get(c)!.push(ms);
        }
      // Shadow's background comparisons belong to its own block.
      await router.settled();
      await budgetRouter.settled();
      await offThreadSettled();
      // GC entries are delivered asynchronously: let this block's arrive before the next stage starts.
      await new Promise((resolve) => setImmediate(resolve));
      gcStage = null;
      const cpu = process.cpuUsage(cpuBefore);
      cpuMs.set(stage, cpuMs.get(stage)! + (cpu.user + cpu.system) / 1000);
      for (const [c, list] of times) {
        append(samples, at(c, stage), list);
        append(untouched, at(c, stage), clear.get(c)!);
        p50s.set(at(c, stage), percentile([...list].sort((a, b) => a - b), 50));
      }
    }
    blockP50s.push(p50s);
  }

  gcObserver.disconnect();
  await offThread?.terminate();
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    const file = `storySiteReadStages-${PROFILED}.cpuprofile`;
    fs.writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    process.stdout.write(`\nCPU profile of the ${PROFILED} stage's ${BLOCKS} blocks: ${file}\n`);
    return;
  }
  const quantiles = (c: PathCall, stage: Stage) => {
    const sorted = [...samples.get(at(c, stage))!].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
  };
  const pairedP50 = (c: PathCall, stage: Stage) => {
    const ratios = blockP50s.map((b) => b.get(at(c, stage))! / b.get(at(c, 'postgres'))!).sort((a, b) => a - b);
    return overheadPercent(1, percentile(ratios, 50));
  };
  process.stdout.write(
    `\nConvex target: modeled (a wait of ${LATENCY} ms ± ${JITTER * 100} % answering the Postgres result, JSON-decoded per call), not Convex; ` +
      `${BLOCKS} blocks x ${READS} reads per path and stage; times in ms` +
      `${SAMPLED ? `; shadow-sampled: shadow with the shares ${JSON.stringify(SAMPLE_RATES)}` : ''}` +
      `${BUDGETED ? `; shadow-budget: shadow with ${BUDGET_TEXT}` : ''}\n\n`,
  );
  // Each stage against postgres: pooled p50 and p99 change, and the median of the per-block p50 ratios.
  const compared = STAGES.filter((s) => s !== 'postgres');
  const rows = calls.map((c) => {
    const f = Object.fromEntries(STAGES.map((s) => [s, quantiles(c, s)])) as Record<Stage, ReturnType<typeof quantiles>>;
    return [
      callName(c),
      ...STAGES.flatMap((s) => [fixed(f[s].p50), fixed(f[s].p99)]),
      ...compared.flatMap((s) => [overheadPercent(f.postgres.p50, f[s].p50), overheadPercent(f.postgres.p99, f[s].p99), pairedP50(c, s)]),
    ];
  });
  process.stdout.write(
    markdownTable(
      ['read path', ...STAGES.flatMap((s) => [`${s} p50`, `${s} p99`]),
        ...compared.flatMap((s) => [`${s}/postgres p50`, `${s}/postgres p99`, `${s} paired per-block p50`])],
      rows,
    ),
  );
  const readsPerStage = BLOCKS * READS * calls.length;
  process.stdout.write(
    `\nGarbage-collection pauses and this process's CPU per stage (all blocks, ${readsPerStage} reads each):\n\n${markdownTable(
      ['stage', 'pauses', 'per 1,000 reads', 'total ms', 'p50 pause ms', 'longest ms', 'process CPU per read, ms'],
      STAGES.map((s) => {
        const pauses = [...gcPauses.get(s)!].sort((a, b) => a - b);
        const total = pauses.reduce((a, b) => a + b, 0);
        return [s, String(pauses.length), fixed((pauses.length / readsPerStage) * 1000, 1), fixed(total, 1),
          pauses.length ? fixed(percentile(pauses, 50), 2) : '-', pauses.length ? fixed(pauses.at(-1)!, 2) : '-',
          fixed(cpuMs.get(s)! / readsPerStage, 3)];
      }),
    )}`,
  );
  // The verdict: shadow against the targets, and postgres against itself
  // (postgres-again) for how much of a change this run can resolve at all.
  const change = (c: PathCall, stage: Stage, q: 'p50' | 'p99') => quantiles(c, stage)[q] / quantiles(c, 'postgres')[q] - 1;
  const within = (q: 'p50' | 'p99', limit: number, stage: Stage) => calls.filter((c) => change(c, stage, q) <= limit).length;
  const noise = (q: 'p50' | 'p99') => Math.max(...calls.map((c) => Math.abs(change(c, 'postgres-again', q))));
  process.stdout.write(
    `\n${compared
      .filter((s) => s !== 'postgres-again')
      .map((s) => `${s} within +10 % at p50 on ${within('p50', 0.1, s)} of ${calls.length} paths, within +20 % at p99 on ${within('p99', 0.2, s)}\n`)
      .join('')}` +
      (STAGES.includes('postgres-again')
        ? `postgres against itself moved up to ${fixed(noise('p50') * 100, 1)} % at p50 and ${fixed(noise('p99') * 100, 1)} % at p99 ` +
          `(a change smaller than that is not resolved by this run)\n`
        : ''),
  );
  // Which reads a comparison's work lands on: those during which a modeled Convex answer arrived (and
  // was decoded and compared). p99 is the 1 % tail, so once more than about one read in a hundred has
  // one land on it, p99 is the read plus a comparison's work, however cheap a comparison is on average.
  const shadowed = compared.filter((s) => s !== 'postgres-again' && s !== 'convex' && s !== 'shadow-offthread');
  if (shadowed.length > 0) {
    const untouchedP99 = (c: PathCall, stage: Stage) => percentile([...untouched.get(at(c, stage))!].sort((a, b) => a - b), 99);
    const landedShare = (c: PathCall, stage: Stage) => 1 - untouched.get(at(c, stage))!.length / samples.get(at(c, stage))!.length;
    process.stdout.write(
      `\nReads a comparison's work landed on (a modeled Convex answer arrived while they were in flight), and the p99 of the others over postgres:\n\n${markdownTable(
        ['read path', ...shadowed.flatMap((s) => [`${s}: landed on`, `${s}: p99 of the others / postgres p99`])],
        calls.map((c) => [
          callName(c),
          ...shadowed.flatMap((s) => [`${fixed(landedShare(c, s) * 100, 2)} %`, overheadPercent(quantiles(c, 'postgres').p99, untouchedP99(c, s))]),
        ]),
      )}`,
    );
  }
  // Counted per table: a read over three tables is one comparison under each.
  const classes = (await metrics.shadow.get()).values.map((v) => `${v.labels.table} ${v.labels.class} ${v.value}`).join(', ');
  const skipped = (await metrics.shadowSkipped.get()).values.map((v) => `${v.labels.table} ${v.labels.reason} ${v.value}`).join(', ');
  process.stdout.write(
    `\nserved: ${JSON.stringify(served)}\nshadow comparisons per table (warm-up included): ${classes}\n` +
      (BUDGETED ? `shadow reads skipped per table (warm-up included): ${skipped || 'none'}\n` : '') +
      (offThread ? `off-thread comparisons (warm-up included): ${offThreadCount.match} match, ${offThreadCount.differ} differ\n` : ''),
  );
});
