/**
 * Comparing monthly stats from two stores while events are in flight (issue 11,
 * item 7). The Convex figures lag Postgres by the changes not yet applied, and
 * Convex reads a month page by page (convex/reads/stats.ts), so an exact
 * comparison would call lag drift. The stated tolerance: each figure (per
 * course and site-wide) may differ by at most
 *
 *     absolute + relative × max(postgres, convex)
 *
 * and `toleranceForInFlight(n)` sets `absolute` to n, the number of story and
 * story_done change events not yet applied to Convex: one event moves each
 * figure by at most one (a read adds 1 to `read`, and at most 1 to
 * `active_users` and `stories_read`; a story update moves `published` by at
 * most 1 in each of two courses). One case is outside that bound: a story
 * moved to another course takes all its reads along in one event; such a
 * difference is reported and stays until the event is applied, when an exact
 * comparison shows it gone. Expected outcomes are returned as values, never
 * thrown.
 */
import type { CourseMonthStats, MonthlyStats } from './types.js';

export interface StatsTolerance {
  /** Allowed difference per figure, in counts. */
  absolute: number;
  /** Allowed difference as a share of the larger figure (0.01 = 1 %). Default 0. */
  relative?: number;
}

export const STATS_FIGURES = ['published', 'read', 'active_users', 'stories_read'] as const;
export type StatsFigure = (typeof STATS_FIGURES)[number];

export interface StatsDifference {
  /** A course id, or 'totals' for the site-wide figure. */
  scope: number | 'totals';
  figure: StatsFigure;
  postgres: number;
  convex: number;
  allowed: number;
}

export type StatsComparison =
  | { ok: true }
  | { ok: false; kind: 'different-month'; postgres: string; convex: string }
  | { ok: false; kind: 'beyond-tolerance'; differences: StatsDifference[] };

export function toleranceForInFlight(events: number): StatsTolerance {
  return { absolute: events, relative: 0 };
}

const ZERO: Omit<CourseMonthStats, 'course_id' | 'short'> = { published: 0, read: 0, active_users: 0, stories_read: 0 };

function differences(
  scope: StatsDifference['scope'],
  a: Omit<CourseMonthStats, 'course_id' | 'short'>,
  b: Omit<CourseMonthStats, 'course_id' | 'short'>,
  tolerance: StatsTolerance,
): StatsDifference[] {
  return STATS_FIGURES.flatMap((figure) => {
    const allowed = tolerance.absolute + (tolerance.relative ?? 0) * Math.max(a[figure], b[figure]);
    return Math.abs(a[figure] - b[figure]) > allowed
      ? [{ scope, figure, postgres: a[figure], convex: b[figure], allowed }]
      : [];
  });
}

/**
 * Every figure of the month, per course (a course missing on one side counts as zeros
 * there) and site-wide, within the tolerance. `{ absolute: 0 }` is the exact comparison.
 */
export function compareMonthlyStats(postgres: MonthlyStats, convex: MonthlyStats, tolerance: StatsTolerance): StatsComparison {
  if (postgres.from !== convex.from || postgres.to !== convex.to) {
    return { ok: false, kind: 'different-month', postgres: postgres.from, convex: convex.from };
  }
  const pg = new Map(postgres.courses.map((c) => [c.course_id, c]));
  const cx = new Map(convex.courses.map((c) => [c.course_id, c]));
  const ids = [...new Set([...pg.keys(), ...cx.keys()])].sort((a, b) => a - b);
  const found = [
    ...ids.flatMap((id) => differences(id, pg.get(id) ?? ZERO, cx.get(id) ?? ZERO, tolerance)),
    ...differences('totals', postgres.totals, convex.totals, tolerance),
  ];
  return found.length === 0 ? { ok: true } : { ok: false, kind: 'beyond-tolerance', differences: found };
}
