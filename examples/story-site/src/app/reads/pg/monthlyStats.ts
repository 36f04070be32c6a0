/**
 * Monthly stats on Postgres. Both counts use half-open UTC ranges
 * [first instant of the month, first instant of the next), so a row at
 * 23:59:59.999 on the last day counts and one at 00:00 on the 1st does not.
 * Reads are attributed to the course of the story read; story_done rows whose
 * story has no course are left out of per-course and total figures alike, so
 * the totals of `read` and `published` are the sums of the course rows.
 */
import type { Queryable } from 'tandem';
import { monthRange } from '../arguments.js';
import type { CourseMonthStats, MonthlyStats } from '../types.js';

const PER_COURSE = `
  WITH published AS (
    SELECT s.course_id, count(*)::int AS published
      FROM story s
     WHERE s.public IS TRUE AND s.deleted IS NOT TRUE
       AND s.date_published >= $1::timestamptz AND s.date_published < $2::timestamptz
     GROUP BY s.course_id
  ), reads AS (
    SELECT s.course_id, count(*)::int AS read,
           count(DISTINCT d.user_id)::int AS active_users,
           count(DISTINCT d.story_id)::int AS stories_read
      FROM story_done d JOIN story s ON s.id = d.story_id
     WHERE d.time >= $1::timestamptz AND d.time < $2::timestamptz
     GROUP BY s.course_id
  )
  SELECT c.id AS course_id, c.short,
         COALESCE(p.published, 0) AS published, COALESCE(r.read, 0) AS read,
         COALESCE(r.active_users, 0) AS active_users, COALESCE(r.stories_read, 0) AS stories_read
    FROM course c
    LEFT JOIN published p ON p.course_id = c.id
    LEFT JOIN reads r ON r.course_id = c.id
   WHERE p.course_id IS NOT NULL OR r.course_id IS NOT NULL
   ORDER BY c.id`;

const SITE_WIDE = `
  SELECT count(*)::int AS read,
         count(DISTINCT d.user_id)::int AS active_users,
         count(DISTINCT d.story_id)::int AS stories_read
    FROM story_done d JOIN story s ON s.id = d.story_id
   WHERE d.time >= $1::timestamptz AND d.time < $2::timestamptz
     AND s.course_id IS NOT NULL`;

export async function monthlyStats(
  db: Queryable,
  year: unknown,
  month: unknown,
): Promise<MonthlyStats> {
  const range = monthRange(year, month);
  const params = [range.from, range.to];
  const courses = await db.query<CourseMonthStats>(PER_COURSE, params);
  const site = await db.query<{ read: number; active_users: number; stories_read: number }>(
    SITE_WIDE,
    params,
  );
  const totals = site.rows[0] ?? { read: 0, active_users: 0, stories_read: 0 };
  return {
    year: year as number,
    month: month as number,
    from: range.from,
    to: range.to,
    courses: courses.rows,
    totals: {
      published: courses.rows.reduce((sum, c) => sum + c.published, 0),
      read: totals.read,
      active_users: totals.active_users,
      stories_read: totals.stories_read,
    },
  };
}
