/**
 * Derived data, computed from what was actually generated, the way the write
 * paths compute it: course aggregates (invariants 1 and 2), contributor lists
 * (write path 4), and serial sequences moved past the explicit ids.
 */
import type { Queryable } from 'tandem';
import type { UserDirectory } from '../ports.js';
import { quoteIdent } from './batchInsert.js';
import { APP_TABLES } from '../schema.js';

const CONTRIBUTOR_WINDOW_DAYS = 30;

/** Tables whose `id` is serial (image's key is a string). */
export const SERIAL_TABLES = APP_TABLES.filter((t) => t !== 'image');

export async function updateCourseAggregates(db: Queryable): Promise<void> {
  await db.query(
    `UPDATE course c
        SET count = coalesce(s.public_count, 0), todo_count = coalesce(s.todo_sum, 0)
       FROM course c2
       LEFT JOIN (SELECT course_id,
                         count(*) FILTER (WHERE public IS TRUE AND deleted IS NOT TRUE)::int AS public_count,
                         sum(todo_count) FILTER (WHERE deleted IS NOT TRUE)::int AS todo_sum
                    FROM story GROUP BY course_id) s ON s.course_id = c2.id
      WHERE c.id = c2.id`,
  );
}

/**
 * Write path 4's rule: `contributors` are the users whose latest approval in the
 * course is within 30 days of `reference`, newest first (ties by user id);
 * `contributors_past` everyone else who approved a story of the course.
 */
export async function updateContributors(
  db: Queryable,
  courseIds: readonly number[],
  users: UserDirectory,
  reference: Date,
): Promise<void> {
  for (const courseId of courseIds) {
    const { rows } = await db.query<{ user_id: number; recent: boolean }>(
      `SELECT a.user_id, max(a.date) > $2::timestamptz - make_interval(days => $3) AS recent
         FROM story_approval a JOIN story s ON s.id = a.story_id
        WHERE s.course_id = $1 AND a.user_id IS NOT NULL
        GROUP BY a.user_id
        ORDER BY max(a.date) DESC, a.user_id`,
      [courseId, reference.toISOString(), CONTRIBUTOR_WINDOW_DAYS],
    );
    const names = await users.names(rows.map((r) => r.user_id));
    const current: string[] = [];
    const past: string[] = [];
    for (const row of rows) {
      const name = names.get(row.user_id);
      if (name !== undefined) (row.recent ? current : past).push(name);
    }
    await db.query(
      'UPDATE course SET contributors = $2::varchar[], contributors_past = $3::varchar[] WHERE id = $1',
      [courseId, current, past],
    );
  }
}

/** Moves each serial sequence past the largest id, so later app inserts do not collide. */
export async function advanceSequences(db: Queryable): Promise<void> {
  for (const table of SERIAL_TABLES) {
    // pg_get_serial_sequence is NULL when the column has no sequence (someone
    // else's DDL); then there is nothing to advance.
    await db.query(
      `SELECT setval(seq, coalesce(m.max_id, 1), m.max_id IS NOT NULL)
         FROM (SELECT pg_get_serial_sequence($1, 'id') AS seq) s,
              (SELECT max(id) AS max_id FROM ${quoteIdent(table)}) m
        WHERE seq IS NOT NULL`,
      [quoteIdent(table)],
    );
  }
}
