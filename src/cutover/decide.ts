/**
 * Which store serves one read: pure, from the stages of the tables it spans
 * and who is asking. A read spanning several tables runs at the most
 * conservative of their stages; past `shadow` it goes to Convex only when
 * every table selects the user (each table's sticky bucket is drawn with its
 * own salt, so a user in 10 % of one table and 10 % of another is in both
 * shares only by chance).
 *
 * Anonymous requests (no user id) read Postgres until every table is at
 * `convex`: they cannot be bucketed stickily, and an anonymous visitor
 * flipping between stores from one request to the next is what sticky
 * buckets exist to avoid.
 */
import { inPercent, userBucket } from './buckets.js';
import { mostConservative, type ReadStage } from './readStages.js';

export interface ReadingUser {
  /** Stable user id; absent for anonymous requests. */
  id?: string | number | null;
  /** Marked internal by the application (reads Convex from `convex-internal` on). */
  internal?: boolean;
}

export interface TableStage {
  stage: ReadStage;
  percent: number;
  salt: string;
}

export type ReadDecision = 'postgres' | 'shadow' | 'convex';

/** Whether one table at `s` sends this user to Convex (meaningful past `shadow`). */
export function tableSelectsUser(s: TableStage, user: ReadingUser): boolean {
  const known = user.id !== undefined && user.id !== null && user.id !== '';
  switch (s.stage) {
    case 'postgres':
    case 'shadow':
      return false;
    case 'convex-internal':
      return known && user.internal === true;
    case 'convex-percent':
      return known && (user.internal === true || inPercent(userBucket(s.salt, user.id!), s.percent));
    case 'convex':
      return true;
  }
}

export function decideRead(stages: readonly TableStage[], user: ReadingUser): ReadDecision {
  const stage = mostConservative(stages.map((s) => s.stage));
  if (stage === 'postgres') return 'postgres';
  if (stage === 'shadow') return 'shadow';
  return stages.every((s) => tableSelectsUser(s, user)) ? 'convex' : 'postgres';
}
