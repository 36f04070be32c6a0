/**
 * story_done: by far the largest table (100,000 rows at scale 1), so it is
 * produced and inserted strictly batch by batch. A fifth of the reads, on
 * average, are anonymous (user_id NULL).
 */
import type { Queryable } from 'tandem';
import { BatchInsert } from './batchInsert.js';
import { DAY_MS, EPOCH_MS, SECOND_MS } from './dates.js';
import type { SampleCounts } from './plan.js';
import type { Progress } from './progress.js';
import { SampleRandom, STREAMS } from './random.js';

export const ANONYMOUS_SHARE = 0.2;

export async function insertStoryDone(
  db: Queryable,
  seed: number,
  counts: SampleCounts,
  progress: Progress,
) {
  const rand = SampleRandom.stream(seed, STREAMS.storyDone);
  const batch = new BatchInsert(db, 'story_done', ['id', 'user_id', 'story_id', 'time'], {
    maxRows: 2000,
    onFlush: (n) => progress('story_done', n),
  });
  for (let id = 1; id <= counts.story_done; id++) {
    const userId = rand.chance(ANONYMOUS_SHARE) ? null : rand.int(1, counts.users);
    const time = EPOCH_MS + rand.int(0, 730) * DAY_MS + rand.int(0, 86_399) * SECOND_MS;
    await batch.add([id, userId, rand.int(1, counts.story), new Date(time).toISOString()]);
  }
  await batch.flush();
}
