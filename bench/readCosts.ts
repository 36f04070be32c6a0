/**
 * Documents read per call of each story-site read path in Convex, at the story
 * site's real sizes (300 stories, 20,000 story_done rows by default), measured
 * on the EMBEDDED target (convex-test), NOT Convex: the read functions of
 * convex/reads/ run inside the embedded backend on a database handle that
 * counts what the queries return (documents) and how many index ranges they
 * open. Convex bills the documents an index range scans; these functions
 * filter nothing inside a range except where noted, so the two agree up to
 * `unique()`'s second look-ahead document. Also prints the Convex read's
 * wall time against the Postgres read's, per path, as a ratio (PGlite and
 * convex-test, both in-process: not a production latency).
 *
 * The embedded database is loaded directly, not through the relay: each
 * Postgres row read and mapped as parity reads it (the apply path's mapping),
 * split into its main and companion documents and inserted with its pgKey.
 * Why: convex-test's index lookups scan whole tables, so applying 20,000 rows
 * one versioned change at a time did not finish in 25 minutes on the shared
 * machine. The documents are the same; the ref_* Ids (unused by the reads) are
 * left out. The equivalence tests (test/app/convexReads.test.ts) go through
 * the relay.
 *
 *   npx tsx bench/readCosts.ts [--scale 0.15] [--extra-done 5000]
 */
import { parseArgs } from 'node:util';
import { ConvexReadPaths } from '../examples/story-site/src/app/reads/convex.js';
import { PostgresReadPaths } from '../examples/story-site/src/app/reads/postgres.js';
import { MONTH_PAGE_ROWS } from '../examples/story-site/src/app/reads/cx/monthlyStats.js';
import { generateSample } from '../examples/story-site/src/app/sample/generateSample.js';
import { createAppSchema } from '../examples/story-site/src/app/schema.js';
import { EmbeddedConvexTarget } from '../src/convex/embeddedTarget.js';
import { createPool } from '../src/postgres/database.js';
import { startEmbeddedPostgres } from '../src/postgres/embedded.js';
import { migrate } from '../src/postgres/migrate.js';
import { splitHeavy } from '../src/mapping/index.js';
import { streamRowsInKeyOrder } from '../src/parity/pgRows.js';
import { STORY_SITE_TABLES } from '../test/support/storySiteMirror.js';
import type pg from 'pg';
import type { DatabaseReader } from '../examples/story-site/convex/_generated/server.js';
import { courseStoryList, editorCourseList, editorCourseView, publicCourseList } from '../examples/story-site/convex/reads/courses.js';
import { avatarMappingList, imageRow, languageRow, localizationEntries } from '../examples/story-site/convex/reads/lookups.js';
import { monthReadsPageOf, monthSummaryOf } from '../examples/story-site/convex/reads/stats.js';
import { storyDetail, userDoneList } from '../examples/story-site/convex/reads/stories.js';
import { describeMachine, printMachine } from './support/machine.js';
import { STORY_SITE_CONVEX_DIR } from '../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '0.15' }, 'extra-done': { type: 'string', default: '5000' } },
});

interface Cost {
  documents: number;
  ranges: number;
}

type Obj = Record<string | symbol, unknown>;

/** Counts what a query chain returns; every other method passes through (chained objects wrapped too). */
function countingQuery(query: object, cost: Cost): object {
  return new Proxy(query, {
    get(target, prop) {
      const member = (target as Obj)[prop];
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const result = (member as (...a: unknown[]) => unknown).apply(target, args);
        if (prop === 'collect' || prop === 'take')
          return (result as Promise<unknown[]>).then((docs) => ((cost.documents += docs.length), docs));
        if (prop === 'first' || prop === 'unique')
          return (result as Promise<unknown>).then((doc) => ((cost.documents += doc ? 1 : 0), doc));
        if (prop === 'paginate')
          return (result as Promise<{ page: unknown[] }>).then((p) => ((cost.documents += p.page.length), p));
        return result !== null && typeof result === 'object' && !('then' in result) ? countingQuery(result, cost) : result;
      };
    },
  });
}

function countingDb(db: DatabaseReader, cost: Cost): DatabaseReader {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'query')
        return (table: string) => {
          cost.ranges += 1;
          return countingQuery(target.query(table as never), cost);
        };
      const member = (target as unknown as Obj)[prop];
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

async function measure(target: EmbeddedConvexTarget, read: (db: DatabaseReader) => Promise<unknown>): Promise<Cost> {
  const cost = { documents: 0, ranges: 0 };
  await target.run((ctx) => read(countingDb(ctx.db as unknown as DatabaseReader, cost)));
  return cost;
}

async function monthCost(target: EmbeddedConvexTarget, from: number, to: number) {
  const total = { documents: 0, ranges: 0, calls: 0, maxDocumentsPerCall: 0 };
  const add = (c: Cost) => {
    total.documents += c.documents;
    total.ranges += c.ranges;
    total.calls += 1;
    total.maxDocumentsPerCall = Math.max(total.maxDocumentsPerCall, c.documents);
  };
  const courses = new Set<number>();
  let cursor: string | null = null;
  for (;;) {
    let page: Awaited<ReturnType<typeof monthReadsPageOf>> | undefined;
    add(await measure(target, async (db) => (page = await monthReadsPageOf(db, from, to, cursor, MONTH_PAGE_ROWS))));
    for (const c of page!.courses) courses.add(c.course_id);
    if (page!.isDone) break;
    cursor = page!.continueCursor;
  }
  add(await measure(target, (db) => monthSummaryOf(db, from, to, [...courses])));
  return total;
}

async function timeRatio(pg: () => Promise<unknown>, cx: () => Promise<unknown>, runs = 5): Promise<string> {
  const time = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await fn();
    return Number(process.hrtime.bigint() - start) / 1e6 / runs;
  };
  const [p, c] = [await time(pg), await time(cx)];
  return `${p.toFixed(1)} ms | ${c.toFixed(1)} ms | ${(c / p).toFixed(1)}×`;
}

/** Every mirrored row into the embedded database, as the apply path would store it. */
async function loadEmbedded(pool: pg.Pool, target: EmbeddedConvexTarget): Promise<void> {
  for (const table of STORY_SITE_TABLES.tables) {
    // Story rows carry text and JSON of up to hundreds of KB: few per transaction (16 MiB written at most).
    for await (const batch of streamRowsInKeyOrder(pool, table, table.heavy ? 10 : 2000)) {
      await target.run(async (ctx) => {
        for (const row of batch) {
          const { doc, content } = splitHeavy(table, row.columns);
          await ctx.db.insert(table.name, { ...doc, pgKey: row.key, pgVersion: 1 });
          if (content && table.heavy) await ctx.db.insert(table.heavy.table, { ...content, pgKey: row.key, pgVersion: 1 });
        }
      });
    }
  }
}

const embedded = await startEmbeddedPostgres({ dataDir: 'memory://' });
const pool = createPool(embedded.url, 4);
try {
  printMachine(await describeMachine(pool));
  await createAppSchema(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await generateSample(pool, { scale: Number(values.scale), seed: 1, referenceDate: new Date('2025-06-01Z') });
  // Extra reads concentrated on the busiest month, so one month holds thousands of rows.
  await pool.query(
    `INSERT INTO story_done (user_id, story_id, time)
     SELECT g % 150 + 1, g % (SELECT max(id) FROM story) + 1, timestamptz '2024-05-01Z' + g * interval '7 minutes'
       FROM generate_series(1, $1::int) g`,
    [Number(values['extra-done'])],
  );
  const counts = (await pool.query<{ t: string; n: number }>(
    `SELECT 'story' AS t, count(*)::int AS n FROM story UNION ALL SELECT 'story_done', count(*)::int FROM story_done
     UNION ALL SELECT 'course', count(*)::int FROM course`,
  )).rows;
  console.log(`rows: ${counts.map((r) => `${r.t} ${r.n}`).join(', ')}`);
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  let start = Date.now();
  await loadEmbedded(pool, target);
  console.log(`loaded into the embedded target in ${((Date.now() - start) / 1000).toFixed(0)} s`);

  const one = async <T>(sql: string) => (await pool.query<{ v: T }>(sql)).rows[0]!.v;
  const bigCourse = await one<number>(`SELECT course_id AS v FROM story GROUP BY course_id ORDER BY count(*) DESC, 1 LIMIT 1`);
  const bigShort = await one<string>(`SELECT short AS v FROM course WHERE id = ${bigCourse}`);
  const story = await one<number>(`SELECT id AS v FROM story WHERE deleted IS NOT TRUE ORDER BY length(text) DESC NULLS LAST LIMIT 1`);
  const reader = await one<number>(
    `SELECT d.user_id AS v FROM story_done d JOIN story s ON s.id = d.story_id WHERE s.course_id = ${bigCourse} AND d.user_id IS NOT NULL
      GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
  );
  const month = await one<string>(`SELECT to_char(date_trunc('month', time), 'YYYY-MM') AS v FROM story_done
                                    GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const monthRows = await one<number>(`SELECT count(*)::int AS v FROM story_done WHERE to_char(time, 'YYYY-MM') = '${month}'`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const [from, to] = [Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1)];
  const image = await one<string>(`SELECT id AS v FROM image LIMIT 1`);

  const pg = new PostgresReadPaths(pool);
  const cx = new ConvexReadPaths(target);
  const rows: Array<[string, Cost & { calls?: number; maxDocumentsPerCall?: number }, string]> = [];
  const row = async (name: string, cost: Promise<Cost>, pgRead: () => Promise<unknown>, cxRead: () => Promise<unknown>) =>
    rows.push([name, await cost, await timeRatio(pgRead, cxRead)]);
  await row('publicCourses', measure(target, publicCourseList), () => pg.publicCourses(), () => cx.publicCourses());
  await row(`courseStories(${bigShort}) (largest course)`, measure(target, (db) => courseStoryList(db, bigShort)),
    () => pg.courseStories(bigShort), () => cx.courseStories(bigShort));
  await row(`storyById(${story})`, measure(target, (db) => storyDetail(db, story)), () => pg.storyById(story), () => cx.storyById(story));
  await row(`userDoneStories(${reader}, ${bigCourse})`, measure(target, (db) => userDoneList(db, reader, bigCourse)),
    () => pg.userDoneStories(reader, bigCourse), () => cx.userDoneStories(reader, bigCourse));
  await row('editorCourses', measure(target, editorCourseList), () => pg.editorCourses(), () => cx.editorCourses());
  await row(`editorCourse(${bigCourse})`, measure(target, (db) => editorCourseView(db, bigCourse)),
    () => pg.editorCourse(bigCourse), () => cx.editorCourse(bigCourse));
  start = Date.now();
  rows.push([`monthlyStats(${y}, ${m}) (${monthRows} reads in the month)`, await monthCost(target, from, to),
    await timeRatio(() => pg.monthlyStats(y, m), () => cx.monthlyStats(y, m), 2)]);
  await row('localization(1)', measure(target, (db) => localizationEntries(db, 1)), () => pg.localization(1), () => cx.localization(1));
  await row('languageById(1)', measure(target, (db) => languageRow(db, 1)), () => pg.languageById(1), () => cx.languageById(1));
  await row(`imageById(${image})`, measure(target, (db) => imageRow(db, image)), () => pg.imageById(image), () => cx.imageById(image));
  await row('avatarMappings(1)', measure(target, (db) => avatarMappingList(db, 1)), () => pg.avatarMappings(1), () => cx.avatarMappings(1));

  console.log('\n| read path | documents read | index ranges | Convex calls | Postgres (PGlite) | Convex (embedded) | ratio |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, cost, time] of rows) {
    const calls = cost.calls ? `${cost.calls} (max ${cost.maxDocumentsPerCall} documents in one)` : '1';
    console.log(`| ${name} | ${cost.documents} | ${cost.ranges} | ${calls} | ${time} |`);
  }
} finally {
  await pool.end();
  await embedded.stop();
}
