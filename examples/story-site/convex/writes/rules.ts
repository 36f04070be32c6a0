/**
 * The write paths' rules that both stores apply. The Postgres path's copies
 * are in src/app/writes/ (approvals.ts, courses.ts); this folder deploys on
 * its own, so it keeps its own, and test/app/convexWriteRules.test.ts pins
 * the two to each other.
 */
export type StoryStatus = 'draft' | 'feedback' | 'finished';

/** Approvals needed for each status: 0 → draft, 1 → feedback, 2+ → finished. */
export function statusForApprovals(count: number): StoryStatus {
  if (count <= 0) return 'draft';
  return count === 1 ? 'feedback' : 'finished';
}

/** A set is published once it holds this many finished (non-deleted) stories. */
export const SET_PUBLISH_THRESHOLD = 4;

/** course.short is varchar(20); a language short is varchar(10). */
export const COURSE_SHORT_MAX = 20;
export const TAG_MAX = 20;
