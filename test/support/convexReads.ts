/**
 * Both read implementations over one mirrored story site: a database with
 * capture installed before any row is written, filled by `fill`, drained by the
 * relay into a fresh embedded Convex (or any target), and helpers that run one
 * read on both sides and compare the outcomes: the value, or the error's class
 * and fields.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { ConvexReadPaths, type ConvexQueryRunner } from '../../examples/story-site/src/app/reads/convex.js';
import { PostgresReadPaths } from '../../examples/story-site/src/app/reads/postgres.js';
import type { ReadPaths } from '../../examples/story-site/src/app/reads/types.js';
import { createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { installCapture } from '../../src/capture/index.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { ConvexTarget } from '../../src/convex/target.js';
import { TandemError } from '../../src/core/errors.js';
import { migrate } from '../../src/postgres/migrate.js';
import { makeRelay } from './mirror.js';
import { storySiteCapture } from './storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export async function prepareCapturedSchema(pool: pg.Pool): Promise<void> {
  await createAppSchema(pool);
  await migrate(pool, DEFAULT_TOOL_SCHEMA);
  await installCapture(pool, storySiteCapture());
}

/** Drains the outbox into a fresh embedded Convex (limits on) and returns the target. */
export async function mirrorIntoEmbedded(pool: pg.Pool): Promise<EmbeddedConvexTarget> {
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  await makeRelay(pool, target).drain();
  return target;
}

export async function drainInto(pool: pg.Pool, target: ConvexTarget): Promise<void> {
  await makeRelay(pool, target).drain();
}

export type ReadCall = [label: string, run: (reads: ReadPaths) => Promise<unknown>];

type Outcome = { value: unknown } | { error: Record<string, unknown> };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { value: await run() };
  } catch (err) {
    // Only the project's named errors are expected outcomes; anything else is a failure.
    if (!(err instanceof TandemError)) throw err;
    return { error: { class: err.constructor.name, ...err, message: err.message } };
  }
}

/** Each call gives the same value, or the same named error, from Postgres and from Convex. */
export async function expectSameReads(postgres: ReadPaths, convex: ReadPaths, calls: ReadCall[]): Promise<void> {
  for (const [label, run] of calls) {
    const expected = await outcome(() => run(postgres));
    expect(await outcome(() => run(convex)), label).toEqual(expected);
  }
}

export function readPathsOver(pool: pg.Pool, target: ConvexQueryRunner) {
  return { postgres: new PostgresReadPaths(pool), convex: new ConvexReadPaths(target) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Every read path with arguments drawn from the data: every course short, course,
 * story, language and image (and one past the largest or unknown), every user who
 * read something (and one who read nothing) in every course, every month with a
 * read or a publication and an empty one, and bad arguments.
 */
export async function readCallsFor(pool: pg.Pool): Promise<ReadCall[]> {
  const ids = async (sql: string) => (await pool.query<{ v: never }>(sql)).rows.map((r) => r.v);
  const shorts: string[] = await ids(`SELECT short AS v FROM course WHERE short IS NOT NULL ORDER BY id`);
  const maxId = async (table: string): Promise<number> =>
    (await ids(`SELECT COALESCE(max(id), 0)::int AS v FROM ${table}`))[0] ?? 0;
  const [courses, stories, languages] = [await maxId('course'), await maxId('story'), await maxId('language')];
  const images: string[] = await ids(`SELECT id AS v FROM image ORDER BY id`);
  const users: number[] = await ids(`SELECT DISTINCT user_id AS v FROM story_done WHERE user_id IS NOT NULL ORDER BY 1`);
  const months: Array<[number, number]> = (
    await pool.query<{ y: number; m: number }>(
      `SELECT DISTINCT extract(year FROM t AT TIME ZONE 'UTC')::int AS y, extract(month FROM t AT TIME ZONE 'UTC')::int AS m
         FROM (SELECT time AS t FROM story_done UNION ALL SELECT date_published FROM story) x
        WHERE t IS NOT NULL ORDER BY 1, 2`,
    )
  ).rows.map((r) => [r.y, r.m]);
  const calls: ReadCall[] = [
    ['publicCourses', (r) => r.publicCourses()],
    ['editorCourses', (r) => r.editorCourses()],
    ['courseStories(missing)', (r) => r.courseStories('zz-zz')],
    ['courseStories("")', (r) => r.courseStories('')],
    ['storyById(0)', (r) => r.storyById(0)],
    ['monthlyStats(1999, 1)', (r) => r.monthlyStats(1999, 1)],
    ['monthlyStats(2024, 13)', (r) => r.monthlyStats(2024, 13)],
    ['imageById(missing)', (r) => r.imageById('no-such-image')],
    ['userDoneStories(0, 1)', (r) => r.userDoneStories(0, 1)],
  ];
  for (const short of shorts) calls.push([`courseStories(${short})`, (r) => r.courseStories(short)]);
  for (const id of range(1, courses + 1)) calls.push([`editorCourse(${id})`, (r) => r.editorCourse(id)]);
  for (const id of range(1, stories + 1)) calls.push([`storyById(${id})`, (r) => r.storyById(id)]);
  for (const id of range(1, languages + 1)) {
    calls.push([`localization(${id})`, (r) => r.localization(id)]);
    // toEqual ignores key order, and the dictionary's order (by tag, "C" collation) is part of its JSON.
    calls.push([`localization(${id}) tag order`, async (r) => Object.keys(await r.localization(id))]);
    calls.push([`languageById(${id})`, (r) => r.languageById(id)]);
    calls.push([`avatarMappings(${id})`, (r) => r.avatarMappings(id)]);
  }
  for (const id of images) calls.push([`imageById(${id})`, (r) => r.imageById(id)]);
  const nobody = (users.at(-1) ?? 0) + 1;
  for (const user of [...users, nobody])
    for (const course of range(1, courses + 1))
      calls.push([`userDoneStories(${user}, ${course})`, (r) => r.userDoneStories(user, course)]);
  for (const [y, m] of [...months, [2000, 2] as [number, number]])
    calls.push([`monthlyStats(${y}, ${m})`, (r) => r.monthlyStats(y, m)]);
  return calls;
}
