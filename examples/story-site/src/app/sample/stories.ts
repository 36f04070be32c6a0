/**
 * Stories and their approvals, generated course by course in sets of 4–6 and
 * inserted in batches bounded by rows and bytes (a story carries up to ~450 KB
 * of text and JSON). Each story's status is derived from the approvals generated
 * for it (invariant 4), and a public story always gets a date_published
 * (invariant 5). The approval total is exactly the planned count.
 */
import type { Queryable } from 'tandem';
import { statusForApprovalCount } from '../invariants/definitions.js';
import { BatchInsert } from './batchInsert.js';
import { storyJson, storyText, type StoryContext } from './content.js';
import type { SampleCourse } from './courses.js';
import { DAY_MS, EPOCH_MS, SECOND_MS } from './dates.js';
import type { SampleCounts } from './plan.js';
import type { Progress } from './progress.js';
import { SampleRandom, STREAMS } from './random.js';
import { wordsFor } from './vocabulary.js';

const STORY_COLUMNS = [
  'id',
  'duo_id',
  'name',
  'set_id',
  'set_index',
  'author',
  'author_change',
  'date',
  'change_date',
  'date_published',
  'text',
  'public',
  'image',
  'course_id',
  'json',
  'status',
  'deleted',
  'todo_count',
];

/** Estimated story payload per INSERT (see insertStories). */
export const STORY_BATCH_BYTES = 256 * 1024;

/** Hands out exactly `total` approvals over `stories` stories, at most `max` each. */
class ApprovalBudget {
  private remaining: number;
  private storiesLeft: number;
  readonly max: number;

  constructor(total: number, stories: number, users: number) {
    this.remaining = total;
    this.storiesLeft = stories;
    // Uniform draws in [0, max] average total / stories; never more than there are users.
    this.max = Math.min(users, Math.max(1, Math.ceil((2 * total) / stories)));
    if (total > this.max * stories)
      throw new Error(`cannot place ${total} approvals on ${stories} stories`);
  }

  next(rand: SampleRandom): number {
    const low = Math.max(0, this.remaining - this.max * (this.storiesLeft - 1));
    const k = rand.int(low, Math.min(this.max, this.remaining));
    this.remaining -= k;
    this.storiesLeft -= 1;
    return k;
  }
}

/** Sizes of a course's sets: 4–6 stories each (the last one takes what is left). */
function setSizes(rand: SampleRandom, stories: number): number[] {
  const sizes: number[] = [];
  let left = stories;
  while (left > 0) {
    const size = Math.min(left, rand.int(4, 6));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

function distinctUsers(rand: SampleRandom, k: number, users: number): number[] {
  const picked = new Set<number>();
  while (picked.size < k) picked.add(rand.int(1, users));
  return [...picked];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export interface StoryInputs {
  seed: number;
  counts: SampleCounts;
  courses: readonly SampleCourse[];
  imageIds: readonly string[];
}

export async function insertStories(
  db: Queryable,
  inputs: StoryInputs,
  progress: Progress,
): Promise<void> {
  const { seed, counts, courses } = inputs;
  const rand = SampleRandom.stream(seed, STREAMS.story);
  const contentRand = SampleRandom.stream(seed, STREAMS.storyContent);
  const budget = new ApprovalBudget(counts.story_approval, counts.story, counts.users);
  const approvals = new BatchInsert(db, 'story_approval', ['id', 'story_id', 'user_id', 'date'], {
    onFlush: (n) => progress('story_approval', n),
  });
  // Approvals reference stories: each story batch is flushed before the approvals queued for it.
  // A quarter megabyte of story bodies per INSERT, not 8 MB: on embedded
  // PGlite, Postgres handling one 5 MB INSERT touched 46 MiB more of its
  // WebAssembly memory, which stays resident for the life of the process and
  // took the demo's peak RSS past 300 MB (BENCHMARKS.md, CLI memory); a few
  // more round trips cost little.
  const stories = new BatchInsert(db, 'story', STORY_COLUMNS, {
    maxRows: 100,
    maxBytes: STORY_BATCH_BYTES,
    onFlush: (n) => progress('story', n),
  });
  let storyId = 0;
  let approvalId = 0;
  const pendingApprovals: unknown[][] = [];
  for (const [c, course] of courses.entries()) {
    const perCourse =
      Math.floor(counts.story / courses.length) + (c < counts.story % courses.length ? 1 : 0);
    for (const [setIndex0, size] of setSizes(rand, perCourse).entries()) {
      for (let index = 1; index <= size; index++) {
        storyId += 1;
        const story = storyRow(
          rand,
          contentRand,
          { storyId, course, setId: setIndex0 + 1, setIndex: index },
          inputs,
          budget,
        );
        for (const approval of story.approvals)
          pendingApprovals.push([++approvalId, storyId, ...approval]);
        const before = stories.count;
        await stories.add(story.row, story.bytes);
        if (stories.count !== before) await drain(pendingApprovals, approvals);
      }
    }
  }
  await stories.flush();
  await drain(pendingApprovals, approvals);
  await approvals.flush();
  if (storyId !== counts.story || approvals.count !== counts.story_approval) {
    throw new Error(
      `generated ${storyId} stories / ${approvals.count} approvals, planned ${counts.story} / ${counts.story_approval}`,
    );
  }
}

async function drain(pending: unknown[][], approvals: BatchInsert): Promise<void> {
  for (const row of pending.splice(0)) await approvals.add(row);
}

interface StoryPosition {
  storyId: number;
  course: SampleCourse;
  setId: number;
  setIndex: number;
}

function contentContext(at: StoryPosition): StoryContext {
  return {
    storyId: at.storyId,
    setId: at.setId,
    setIndex: at.setIndex,
    learningShort: at.course.learning.short,
    fromLanguageName: at.course.from.name,
    learningWords: wordsFor(at.course.learning.script),
    fromWords: wordsFor(at.course.from.script),
  };
}

/** One story row (status and publication derived from its approvals) and its approvals. */
function storyRow(
  rand: SampleRandom,
  contentRand: SampleRandom,
  at: StoryPosition,
  inputs: StoryInputs,
  budget: ApprovalBudget,
): { row: unknown[]; bytes: number; approvals: Array<[number, string]> } {
  const users = inputs.counts.users;
  const created = EPOCH_MS + rand.int(0, 600) * DAY_MS + rand.int(0, 86_399) * SECOND_MS;
  const approvalCount = budget.next(rand);
  const approvals = distinctUsers(rand, approvalCount, users).map((userId): [number, number] => [
    userId,
    created + rand.int(3_600, 90 * 86_400) * SECOND_MS,
  ]);
  const status = statusForApprovalCount(approvalCount);
  const deleted = rand.chance(0.03);
  const isPublic = !deleted && rand.chance(status === 'finished' ? 0.85 : 0.05);
  const lastApproval = Math.max(created, ...approvals.map(([, at]) => at));
  const published =
    isPublic || rand.chance(0.1) ? lastApproval + rand.int(0, 2 * 86_400) * SECOND_MS : null;
  const ctx = contentContext(at);
  const text = storyText(contentRand, ctx);
  const json = storyJson(contentRand, ctx);
  const row = [
    at.storyId,
    rand.maybe(0.2, () => `${at.course.short}-${at.setId}-${at.setIndex}`),
    Array.from({ length: rand.int(2, 5) }, () => rand.pick(ctx.learningWords)).join(' '),
    at.setId,
    at.setIndex,
    rand.maybe(0.05, () => rand.int(1, users)),
    rand.maybe(0.4, () => rand.int(1, users)),
    iso(created),
    iso(created + rand.int(0, 60 * 86_400) * SECOND_MS),
    published === null ? null : iso(published),
    text,
    isPublic,
    rand.maybe(0.1, () => rand.pick(inputs.imageIds)),
    at.course.id,
    json,
    status,
    deleted,
    rand.chance(0.6) ? 0 : rand.int(1, 5),
  ];
  return {
    row,
    bytes: text.length + json.length,
    approvals: approvals.map(([userId, date]) => [userId, iso(date)]),
  };
}
