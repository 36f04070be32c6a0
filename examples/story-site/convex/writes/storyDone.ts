/**
 * Write path 7 of DOMAIN.md in Convex: readers finished stories. One call
 * records a batch (all or nothing, as the Postgres batch insert), so a server
 * that buffers reads for a few milliseconds writes them in one mutation.
 */
import type { DatabaseWriter } from '../_generated/server.js';
import { takeKeys } from './keys.js';
import { invalidInput } from './refusals.js';
import { insertRow, rowByKey } from './rows.js';
import { requireKnownUser } from './users.js';

export interface StoryDoneItem {
  story_id: number;
  user_id: number | null;
}

/**
 * `batch` says whose the user ids are: in the single form the caller's (its
 * token; an unknown one is an unknown user), in the batch form input (an
 * unknown one is bad input naming `user_id`), as the Postgres path reports them.
 */
export async function recordStoryDone(
  db: DatabaseWriter,
  args: { items: StoryDoneItem[]; batch: boolean },
): Promise<{ ids: number[] }> {
  const { items, batch } = args;
  for (const [i, item] of items.entries()) {
    const story = await rowByKey(db, 'story', item.story_id);
    if (!story || story.deleted === true)
      invalidInput(
        items.length === 1 ? 'story_id' : `${i}.story_id`,
        `no story with id ${item.story_id}`,
      );
  }
  for (const userId of new Set(items.map((i) => i.user_id))) {
    if (userId !== null) await requireKnownUser(db, userId, batch ? 'user_id' : undefined);
  }
  const ids = await takeKeys(db, 'story_done', items.length);
  const time = Date.now();
  for (const [i, item] of items.entries()) {
    await insertRow(db, 'story_done', {
      id: ids[i]!,
      story_id: item.story_id,
      user_id: item.user_id,
      time,
    });
  }
  return { ids };
}
