/**
 * Write paths 4 and 5 of DOMAIN.md: approvals, and what follows from them —
 * the story's status, publication of a finished set, the course's count and
 * contributor lists. Both paths share `applyApprovalConsequences`, so an admin
 * removal can never leave `status` stale (a bug of the old application).
 */
import type pg from 'pg';
import { NotFoundError } from 'tandem';
import { approvalRef, id as idSchema, parseInput } from '../inputs.js';
import type { Actor, AppDeps, UserDirectory } from '../ports.js';
import { requireRole } from './access.js';
import { lockCourses, refreshContributors, refreshCourseCounts } from './courseAggregates.js';
import { z } from 'zod';

export type StoryStatus = 'draft' | 'feedback' | 'finished';

/** Approvals needed for each status: 0 → draft, 1 → feedback, 2+ → finished. */
export function statusForApprovals(count: number): StoryStatus {
  if (count <= 0) return 'draft';
  return count === 1 ? 'feedback' : 'finished';
}

/** A set is published once it holds this many finished (non-deleted) stories. */
export const SET_PUBLISH_THRESHOLD = 4;

export interface ApprovalOutcome {
  action: 'added' | 'removed';
  story_id: number;
  /** Approvals the story has now. */
  count: number;
  status: StoryStatus;
  /** Stories this change made public (the story's whole set, when it became complete). */
  published: number[];
}

interface StoryCourse {
  course_id: number | null;
  set_id: number;
}

/** Locks the story's course (before touching any story row), re-reading in case the story moved. */
async function lockStoryCourse(tx: pg.PoolClient, storyId: number, includeDeleted = false): Promise<StoryCourse> {
  for (;;) {
    const before = await readStoryCourse(tx, storyId, includeDeleted);
    await lockCourses(tx, [before.course_id]);
    const after = await readStoryCourse(tx, storyId, includeDeleted);
    if (after.course_id === before.course_id) return after;
  }
}

async function readStoryCourse(tx: pg.PoolClient, storyId: number, includeDeleted: boolean): Promise<StoryCourse> {
  const { rows } = await tx.query<StoryCourse>(
    'SELECT course_id, set_id FROM story WHERE id = $1 AND ($2 OR NOT coalesce(deleted, false))',
    [storyId, includeDeleted],
  );
  if (!rows[0]) throw new NotFoundError('story', storyId, 'story_id');
  return rows[0];
}

async function publishCompleteSet(tx: pg.PoolClient, story: StoryCourse): Promise<number[]> {
  if (story.course_id === null) return [];
  const { rows } = await tx.query<{ finished: number }>(
    `SELECT count(*)::int AS finished FROM story
      WHERE course_id = $1 AND set_id = $2 AND NOT coalesce(deleted, false) AND status = 'finished'`,
    [story.course_id, story.set_id],
  );
  if (rows[0]!.finished < SET_PUBLISH_THRESHOLD) return [];
  // Only finished stories are published: a draft in a complete set stays unpublished.
  const published = await tx.query<{ id: number }>(
    `UPDATE story SET public = true, date_published = now()
      WHERE course_id = $1 AND set_id = $2 AND NOT coalesce(deleted, false)
        AND status = 'finished' AND NOT coalesce(public, false)
      RETURNING id`,
    [story.course_id, story.set_id],
  );
  return published.rows.map((r) => r.id).sort((a, b) => a - b);
}

async function applyApprovalConsequences(
  tx: pg.PoolClient,
  storyId: number,
  story: StoryCourse,
  users: UserDirectory,
): Promise<Omit<ApprovalOutcome, 'action'>> {
  const { rows } = await tx.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM story_approval WHERE story_id = $1',
    [storyId],
  );
  const count = rows[0]!.count;
  const status = statusForApprovals(count);
  await tx.query('UPDATE story SET status = $2 WHERE id = $1 AND status IS DISTINCT FROM $2::story_status', [
    storyId,
    status,
  ]);
  const published = status === 'finished' ? await publishCompleteSet(tx, story) : [];
  await refreshCourseCounts(tx, story.course_id);
  await refreshContributors(tx, story.course_id, users);
  return { story_id: storyId, count, status, published };
}

/** 4. Toggle approval: the caller's approval of the story is added if absent, removed if present. */
export async function toggleApproval(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<ApprovalOutcome> {
  const userId = requireRole(actor, 'editor');
  const { story_id } = parseInput(approvalRef, rawInput);
  return deps.runner.run('toggle-approval', async (tx) => {
    const story = await lockStoryCourse(tx, story_id);
    const removed = await tx.query('DELETE FROM story_approval WHERE story_id = $1 AND user_id = $2', [
      story_id,
      userId,
    ]);
    let action: ApprovalOutcome['action'] = 'removed';
    if (!removed.rowCount) {
      await tx.query('INSERT INTO story_approval (story_id, user_id, date) VALUES ($1, $2, now())', [
        story_id,
        userId,
      ]);
      action = 'added';
    }
    return { action, ...(await applyApprovalConsequences(tx, story_id, story, deps.users)) };
  });
}

/** 5. Remove approval by id (admin): the same consequences as a toggle that removes. */
export async function removeApproval(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<ApprovalOutcome> {
  requireRole(actor, 'admin');
  const { id } = parseInput(z.object({ id: idSchema }).strict(), rawInput);
  return deps.runner.run('remove-approval', async (tx) => {
    const found = await tx.query<{ story_id: number }>(
      'SELECT story_id FROM story_approval WHERE id = $1 AND story_id IS NOT NULL',
      [id],
    );
    if (!found.rows[0]) throw new NotFoundError('story_approval', id, 'id');
    const storyId = found.rows[0].story_id;
    // An approval of a soft-deleted story is still removable by an admin.
    const story = await lockStoryCourse(tx, storyId, true);
    const removed = await tx.query('DELETE FROM story_approval WHERE id = $1', [id]);
    // Removed by a concurrent writer between our read and our lock.
    if (!removed.rowCount) throw new NotFoundError('story_approval', id, 'id');
    return { action: 'removed', ...(await applyApprovalConsequences(tx, storyId, story, deps.users)) };
  });
}
