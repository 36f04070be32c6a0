/**
 * Checks DOMAIN.md's six invariants in a Postgres database with one set-based
 * query each, so it can find drift left by the old application in a database of
 * any size (the old app broke 1, 3 and 4 on some paths). Violations are returned
 * as values, ordered by invariant then key.
 */
import type { Queryable } from 'tandem';
import {
  INVARIANTS,
  invariantDefinition,
  type InvariantNumber,
  type InvariantViolation,
} from './definitions.js';

export interface CheckInvariantsOptions {
  /** Only these invariants (default: all six). */
  only?: readonly InvariantNumber[];
  /** At most this many violations per invariant (default: no limit). */
  limitPerInvariant?: number;
}

interface Probe {
  sql: string;
  detail(row: Record<string, unknown>): string;
}

const show = (value: unknown): string =>
  value === null || value === undefined ? 'NULL' : JSON.stringify(value);

// `$1` is the per-invariant limit; LIMIT NULL means no limit.
const PROBES: Record<InvariantNumber, Probe> = {
  1: {
    sql: `SELECT c.id AS key, c.count AS stored, coalesce(s.n, 0) AS actual
            FROM course c
            LEFT JOIN (SELECT course_id, count(*)::int AS n FROM story
                        WHERE public IS TRUE AND deleted IS NOT TRUE
                        GROUP BY course_id) s ON s.course_id = c.id
           WHERE coalesce(c.count, 0) <> coalesce(s.n, 0)
           ORDER BY c.id LIMIT $1`,
    detail: (r) => `count is ${show(r.stored)}, public non-deleted stories: ${show(r.actual)}`,
  },
  2: {
    sql: `SELECT c.id AS key, c.todo_count AS stored, coalesce(s.total, 0)::text AS actual
            FROM course c
            LEFT JOIN (SELECT course_id, sum(todo_count) AS total FROM story
                        WHERE deleted IS NOT TRUE
                        GROUP BY course_id) s ON s.course_id = c.id
           WHERE c.todo_count IS DISTINCT FROM coalesce(s.total, 0)
           ORDER BY c.id LIMIT $1`,
    detail: (r) =>
      `todo_count is ${show(r.stored)}, sum over non-deleted stories: ${String(r.actual)}`,
  },
  3: {
    sql: `SELECT * FROM (
            SELECT c.id AS key, 'learning_language_name' AS col, c.learning_language_name AS stored, l.name AS actual
              FROM course c JOIN language l ON l.id = c.learning_language
             WHERE c.learning_language_name IS DISTINCT FROM l.name
            UNION ALL
            SELECT c.id, 'from_language_name', c.from_language_name, l.name
              FROM course c JOIN language l ON l.id = c.from_language
             WHERE c.from_language_name IS DISTINCT FROM l.name) v
           ORDER BY key, col LIMIT $1`,
    detail: (r) => `${String(r.col)} is ${show(r.stored)}, language name is ${show(r.actual)}`,
  },
  4: {
    sql: `SELECT s.id AS key, s.status::text AS stored, coalesce(a.n, 0) AS approvals
            FROM story s
            LEFT JOIN (SELECT story_id, count(*)::int AS n FROM story_approval
                        GROUP BY story_id) a ON a.story_id = s.id
           WHERE coalesce(s.status::text, 'draft') <>
                 CASE WHEN coalesce(a.n, 0) = 0 THEN 'draft' WHEN a.n = 1 THEN 'feedback' ELSE 'finished' END
           ORDER BY s.id LIMIT $1`,
    detail: (r) => `status is ${show(r.stored)} with ${String(r.approvals)} approval(s)`,
  },
  5: {
    sql: `SELECT id AS key FROM story
           WHERE public IS TRUE AND date_published IS NULL
           ORDER BY id LIMIT $1`,
    detail: () => 'public story without date_published',
  },
  6: {
    sql: `SELECT c.id AS key, c.short AS stored, ll.short || '-' || fl.short AS expected
            FROM course c
            JOIN language ll ON ll.id = c.learning_language
            JOIN language fl ON fl.id = c.from_language
           WHERE c.short IS DISTINCT FROM ll.short || '-' || fl.short
           ORDER BY c.id LIMIT $1`,
    detail: (r) => `short is ${show(r.stored)}, expected ${show(r.expected)}`,
  },
};

export async function checkInvariantsPostgres(
  db: Queryable,
  options: CheckInvariantsOptions = {},
): Promise<InvariantViolation[]> {
  const wanted = options.only ?? INVARIANTS.map((d) => d.invariant);
  const limit = options.limitPerInvariant ?? null;
  const violations: InvariantViolation[] = [];
  for (const invariant of [...new Set(wanted)].sort((a, b) => a - b)) {
    const { name, table } = invariantDefinition(invariant);
    const probe = PROBES[invariant];
    const { rows } = await db.query<Record<string, unknown>>(probe.sql, [limit]);
    for (const row of rows) {
      violations.push({ invariant, name, table, key: Number(row.key), detail: probe.detail(row) });
    }
  }
  return violations;
}
