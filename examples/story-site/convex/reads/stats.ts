/**
 * Monthly stats in Convex (DOMAIN.md read path 6), in two kinds of call,
 * because one query cannot read a month of `story_done` at real sizes (tens of
 * thousands of rows against Convex's 32,000 documents and 16 MiB per query):
 *
 * - `monthReadsPage`: one page of the month's `story_done` rows (`by_time`,
 *   half-open [from, to)), grouped by the course of the story read, with the
 *   distinct user and story ids of the page, so the caller can merge pages and
 *   still count distinct values exactly;
 * - `monthSummary`: the stories published in the month per course, and the
 *   short of every course that has anything, in course id order.
 *
 * Why pages rather than a precomputed aggregate: an aggregate would have to be
 * kept by the mirror's apply (generated kit code, the same for every app) and
 * distinct counts do not add up, so it would need one document per (month,
 * course, user). Pages read the mirrored rows as they are; the price is one
 * call per page, each at its own snapshot, so while events are in flight the
 * figures may differ from Postgres by the events not yet applied (the stated
 * tolerance: src/app/reads/statsTolerance.ts).
 */
import { v } from 'convex/values';
import type { Doc } from '../_generated/dataModel.js';
import { internalQuery, type DatabaseReader } from '../_generated/server.js';
import { byKey, isVisible } from './shared.js';

/**
 * Rows per page at most. Each row may cost one story lookup (an index range), so a page
 * stays below Convex's 4,096 index ranges and far below its 32,000 documents read.
 */
export const MAX_MONTH_PAGE = 4000;

export interface CourseReads {
  course_id: number;
  read: number;
  users: number[];
  stories: number[];
}

const monthArgs = { from: v.number(), to: v.number() };

/** Reads of one page, by course; rows whose story is gone or has no course are left out, as SQL's join leaves them. */
export async function monthReadsOfPage(db: DatabaseReader, rows: Array<Doc<'story_done'>>): Promise<CourseReads[]> {
  const stories = new Map<number, Doc<'story'> | null>();
  const byCourse = new Map<number, { read: number; users: Set<number>; stories: Set<number> }>();
  for (const row of rows) {
    if (row.story_id === null) continue;
    if (!stories.has(row.story_id)) stories.set(row.story_id, await byKey(db, 'story', row.story_id));
    const courseId = stories.get(row.story_id)?.course_id ?? null;
    if (courseId === null) continue;
    let course = byCourse.get(courseId);
    if (!course) byCourse.set(courseId, (course = { read: 0, users: new Set(), stories: new Set() }));
    course.read += 1;
    if (row.user_id !== null) course.users.add(row.user_id);
    course.stories.add(row.story_id);
  }
  return [...byCourse]
    .sort(([a], [b]) => a - b)
    .map(([course_id, c]) => ({ course_id, read: c.read, users: [...c.users], stories: [...c.stories] }));
}

/** One page of the month's reads (rows in `time` order from `cursor`), grouped by course. */
export async function monthReadsPageOf(
  db: DatabaseReader,
  from: number,
  to: number,
  cursor: string | null,
  numItems: number,
) {
  const page = await db
    .query('story_done')
    .withIndex('by_time', (q) => q.gte('time', from).lt('time', to))
    .paginate({ cursor, numItems: Math.max(1, Math.min(numItems, MAX_MONTH_PAGE)) });
  return { courses: await monthReadsOfPage(db, page.page), isDone: page.isDone, continueCursor: page.continueCursor };
}

export const monthReadsPage = internalQuery({
  args: { ...monthArgs, cursor: v.union(v.string(), v.null()), numItems: v.number() },
  handler: (ctx, { from, to, cursor, numItems }) => monthReadsPageOf(ctx.db, from, to, cursor, numItems),
});

/**
 * Published stories per course (public, not deleted, `date_published` in [from, to)) and the
 * courses to report: those with anything published or read (`readCourseIds`, from the pages)
 * that exist, by course id.
 */
export async function monthSummaryOf(db: DatabaseReader, from: number, to: number, readCourseIds: number[]) {
  const published = await db
    .query('story')
    .withIndex('by_date_published', (q) => q.gte('date_published', from).lt('date_published', to))
    .collect();
  const counts = new Map<number, number>(readCourseIds.map((id) => [id, 0]));
  for (const s of published) {
    if (s.course_id !== null && isVisible(s)) counts.set(s.course_id, (counts.get(s.course_id) ?? 0) + 1);
  }
  const ids = [...counts.keys()].sort((a, b) => a - b);
  const courses = await Promise.all(ids.map((id) => byKey(db, 'course', id)));
  return ids.flatMap((id, i) => {
    const course = courses[i];
    return course ? [{ course_id: id, short: course.short, published: counts.get(id)! }] : [];
  });
}

export const monthSummary = internalQuery({
  args: { ...monthArgs, readCourseIds: v.array(v.number()) },
  handler: (ctx, { from, to, readCourseIds }) => monthSummaryOf(ctx.db, from, to, readCourseIds),
});
