/**
 * Write paths 4 and 5 of DOMAIN.md in Convex: approvals and what follows from
 * them (status, publication of a complete set, the course's count and
 * contributor lists), as src/app/writes/approvals.ts does it. Both paths share
 * `applyApprovalConsequences`, so an admin removal never leaves status stale.
 */
import type { Doc } from '../_generated/dataModel.js';
import type { DatabaseReader, DatabaseWriter } from '../_generated/server.js';
import { refreshContributors, refreshCourseCounts } from './courseAggregates.js';
import { takeKey } from './keys.js';
import { notFound } from './refusals.js';
import { deleteRow, insertRow, patchRow, rowByKey } from './rows.js';
import { SET_PUBLISH_THRESHOLD, statusForApprovals, type StoryStatus } from './rules.js';
import { requireKnownUser } from './users.js';

export interface ApprovalOutcome {
  action: 'added' | 'removed';
  story_id: number;
  count: number;
  status: StoryStatus;
  published: number[];
}

function approvalsOf(db: DatabaseReader, storyId: number) {
  return db
    .query('story_approval')
    .withIndex('by_story_id', (q) => q.eq('story_id', storyId))
    .collect();
}

/** Publishes the finished, unpublished stories of the story's set once it holds enough finished ones. */
async function publishCompleteSet(db: DatabaseWriter, story: Doc<'story'>): Promise<number[]> {
  if (story.course_id === null) return [];
  const set = (
    await db
      .query('story')
      .withIndex('by_course_set', (q) =>
        q.eq('course_id', story.course_id).eq('set_id', story.set_id),
      )
      .collect()
  ).filter((s) => s.deleted !== true && s.status === 'finished');
  if (set.length < SET_PUBLISH_THRESHOLD) return [];
  const now = Date.now();
  const published: number[] = [];
  // Only finished stories are published: a draft in a complete set stays unpublished.
  for (const s of set) {
    if (s.public === true) continue;
    await patchRow(db, 'story', s, { public: true, date_published: now });
    published.push(s.id);
  }
  return published.sort((a, b) => a - b);
}

async function applyApprovalConsequences(
  db: DatabaseWriter,
  story: Doc<'story'>,
): Promise<Omit<ApprovalOutcome, 'action'>> {
  const count = (await approvalsOf(db, story.id)).length;
  const status = statusForApprovals(count);
  const updated = await patchRow(db, 'story', story, { status });
  const published = status === 'finished' ? await publishCompleteSet(db, updated) : [];
  await refreshCourseCounts(db, story.course_id);
  await refreshContributors(db, story.course_id);
  return { story_id: story.id, count, status, published };
}

/** 4. Toggle approval: the caller's approval of the story is added if absent, removed if present. */
export async function toggleApproval(
  db: DatabaseWriter,
  args: { userId: number; story_id: number },
): Promise<ApprovalOutcome> {
  const story = await rowByKey(db, 'story', args.story_id);
  if (!story || story.deleted === true) return notFound('story', args.story_id, 'story_id');
  const mine = (await approvalsOf(db, story.id)).find((a) => a.user_id === args.userId);
  let action: ApprovalOutcome['action'] = 'removed';
  if (mine) {
    await deleteRow(db, 'story_approval', mine);
  } else {
    await requireKnownUser(db, args.userId);
    await insertRow(db, 'story_approval', {
      id: await takeKey(db, 'story_approval'),
      story_id: story.id,
      user_id: args.userId,
      date: Date.now(),
    });
    action = 'added';
  }
  return { action, ...(await applyApprovalConsequences(db, story)) };
}

/** 5. Remove approval by id (admin): the same consequences as a toggle that removes. */
export async function removeApproval(
  db: DatabaseWriter,
  args: { id: number },
): Promise<ApprovalOutcome> {
  const approval = await rowByKey(db, 'story_approval', args.id);
  if (!approval || approval.story_id === null) return notFound('story_approval', args.id, 'id');
  // An approval of a soft-deleted story is still removable by an admin.
  const story = await rowByKey(db, 'story', approval.story_id);
  if (!story) return notFound('story', approval.story_id, 'story_id');
  await deleteRow(db, 'story_approval', approval);
  return { action: 'removed', ...(await applyApprovalConsequences(db, story)) };
}
