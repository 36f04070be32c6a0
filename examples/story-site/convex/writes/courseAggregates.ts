/**
 * A course's derived fields inside the write's own mutation, with the
 * Postgres path's rules (src/app/writes/courseAggregates.ts): recomputed from
 * the course's stories by the paths that may change several stories or move
 * one between courses (so those writes also heal drift), adjusted by the one
 * story's delta by import and delete, whose cost must not grow with the
 * course (a recount reads every story of it, deleted ones included). Convex runs
 * each mutation serializably, so the course locks of the Postgres path have
 * no counterpart here: two concurrent writers of one course conflict and one
 * is re-run.
 */
import type { Doc } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { patchRow, rowByKey } from './rows.js';
import { userNames } from './users.js';

const CONTRIBUTOR_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

/** Every story of the course, deleted and unpublished ones included. */
export function storiesOfCourse(
  db: DatabaseReader,
  courseId: number,
): Promise<Array<Doc<'story'>>> {
  return db
    .query('story')
    .withIndex('by_course_id', (q) => q.eq('course_id', courseId))
    .collect();
}

/** `count` = public non-deleted stories; `todo_count` = sum over non-deleted stories. */
export async function refreshCourseCounts(
  db: DatabaseWriter,
  courseId: number | null,
): Promise<void> {
  if (courseId === null) return;
  const course = await rowByKey(db, 'course', courseId);
  if (!course) return;
  const live = (await storiesOfCourse(db, courseId)).filter((s) => s.deleted !== true);
  const count = live.filter((s) => s.public === true).length;
  const todo = live.reduce((sum, s) => sum + s.todo_count, 0);
  await patchRow(db, 'course', course, { count, todo_count: todo });
}

/** What one story adds to its course's `count` and `todo_count`. */
export interface CourseCountsDelta {
  count: number;
  todo_count: number;
}

/** A story's share of its course's counts: nothing once deleted; `count` only while public. */
export function storyShare(story: { public: boolean | null; deleted: boolean | null; todo_count: number }): CourseCountsDelta {
  if (story.deleted === true) return { count: 0, todo_count: 0 };
  return { count: story.public === true ? 1 : 0, todo_count: story.todo_count };
}

/**
 * The counts after one story's share changed by `delta`, read and written
 * as one document. A course with no count yet (NULL, as a course created
 * before any recount has) is recounted instead: the Postgres path's
 * aggregate fills it in, so a delta on nothing would leave the two apart.
 */
export async function adjustCourseCounts(
  db: DatabaseWriter,
  courseId: number | null,
  delta: CourseCountsDelta,
): Promise<void> {
  if (courseId === null) return;
  const course = await rowByKey(db, 'course', courseId);
  if (!course) return;
  if (course.count === null) return refreshCourseCounts(db, courseId);
  await patchRow(db, 'course', course, {
    count: course.count + delta.count,
    todo_count: course.todo_count + delta.todo_count,
  });
}

interface Contributor {
  userId: number;
  latest: number | null;
}

/**
 * `contributors`: names of users whose latest approval of a story of the
 * course (deleted stories included, as the Postgres join includes them) is
 * within 30 days, newest first; `contributors_past` everyone else. Ties and
 * NULL dates sort as Postgres's `ORDER BY max(date) DESC, user_id` does
 * (NULL first in descending order).
 */
export async function refreshContributors(
  db: DatabaseWriter,
  courseId: number | null,
): Promise<void> {
  if (courseId === null) return;
  const course = await rowByKey(db, 'course', courseId);
  if (!course) return;
  const latest = new Map<number, number | null>();
  for (const story of await storiesOfCourse(db, courseId)) {
    const approvals = await db
      .query('story_approval')
      .withIndex('by_story_id', (q) => q.eq('story_id', story.id))
      .collect();
    for (const a of approvals) {
      if (a.user_id === null) continue;
      const seen = latest.get(a.user_id);
      if (seen === undefined || (a.date !== null && (seen === null || a.date > seen)))
        latest.set(a.user_id, a.date);
    }
  }
  const ordered: Contributor[] = [...latest].map(([userId, date]) => ({ userId, latest: date }));
  ordered.sort((a, b) => descNullsFirst(a.latest, b.latest) || a.userId - b.userId);
  const names = await userNames(
    db,
    ordered.map((c) => c.userId),
  );
  const since = Date.now() - CONTRIBUTOR_WINDOW_MS;
  const current: string[] = [];
  const past: string[] = [];
  for (const c of ordered) {
    const name = names.get(c.userId);
    if (name !== undefined) (c.latest !== null && c.latest > since ? current : past).push(name);
  }
  await patchRow(db, 'course', course, { contributors: current, contributors_past: past });
}

function descNullsFirst(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return b - a;
}
