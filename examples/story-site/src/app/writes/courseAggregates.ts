/**
 * Derived course fields, recomputed set-based inside the write's transaction.
 *
 * Concurrency: every write that changes a course's stories first locks the
 * course row (`lockCourses`). Under READ COMMITTED each later statement takes a
 * fresh snapshot, so once the lock is held the recount sees every committed
 * change by earlier writers of that course; without the lock, two concurrent
 * writers could each count without the other's story and leave `count` stale.
 */
import type pg from 'pg';
import type { UserDirectory } from '../ports.js';

const CONTRIBUTOR_WINDOW_DAYS = 30;

/** Locks the given courses in id order (a fixed order, so two writers cannot deadlock). */
export async function lockCourses(tx: pg.PoolClient, courseIds: Array<number | null>): Promise<void> {
  const ids = [...new Set(courseIds.filter((id): id is number => id !== null))].sort((a, b) => a - b);
  for (const id of ids) {
    await tx.query('SELECT id FROM course WHERE id = $1 FOR UPDATE', [id]);
  }
}

/** `count` = public non-deleted stories; `todo_count` = sum over non-deleted stories. */
export async function refreshCourseCounts(tx: pg.PoolClient, courseId: number | null): Promise<void> {
  if (courseId === null) return;
  await tx.query(
    `UPDATE course c
        SET count = s.public_count, todo_count = s.todo_sum
       FROM (SELECT count(*) FILTER (WHERE public AND NOT coalesce(deleted, false))::int AS public_count,
                    coalesce(sum(todo_count) FILTER (WHERE NOT coalesce(deleted, false)), 0)::int AS todo_sum
               FROM story WHERE course_id = $1) s
      WHERE c.id = $1
        AND (c.count IS DISTINCT FROM s.public_count OR c.todo_count IS DISTINCT FROM s.todo_sum)`,
    [courseId],
  );
}

/**
 * `contributors`: names of users whose latest approval in the course is within
 * the last 30 days, newest first; `contributors_past`: everyone else who ever
 * approved a story of the course, newest first. Names come from the directory
 * port; an id it does not know is left out (there is no name to show).
 */
export async function refreshContributors(
  tx: pg.PoolClient,
  courseId: number | null,
  users: UserDirectory,
): Promise<void> {
  if (courseId === null) return;
  const { rows } = await tx.query<{ user_id: number; recent: boolean }>(
    `SELECT a.user_id, max(a.date) > now() - make_interval(days => $2) AS recent
       FROM story_approval a JOIN story s ON s.id = a.story_id
      WHERE s.course_id = $1 AND a.user_id IS NOT NULL
      GROUP BY a.user_id
      ORDER BY max(a.date) DESC, a.user_id`,
    [courseId, CONTRIBUTOR_WINDOW_DAYS],
  );
  const names = await users.names(rows.map((r) => r.user_id));
  const current: string[] = [];
  const past: string[] = [];
  for (const row of rows) {
    const name = names.get(row.user_id);
    if (name !== undefined) (row.recent ? current : past).push(name);
  }
  await tx.query(
    `UPDATE course SET contributors = $2::varchar[], contributors_past = $3::varchar[]
      WHERE id = $1 AND (contributors IS DISTINCT FROM $2::varchar[] OR contributors_past IS DISTINCT FROM $3::varchar[])`,
    [courseId, current, past],
  );
}
