/**
 * Write path 7: a reader finished a story. By far the most frequent write, so a
 * batch form records many reads in one transaction with one INSERT.
 */
import { z } from 'zod';
import { id as idSchema, parseInput, recordStoryDoneInput } from '../inputs.js';
import type { Actor, AppDeps } from '../ports.js';
import { InvalidInputError } from 'tandem';
import { translatingPgErrors } from './pgErrors.js';

const STORY_FK = { story_done_story_id_fkey: 'story_id' };
/** In the batch form the user ids are input; in the single form the user is the caller (its token). */
const BATCH_FKS = { ...STORY_FK, story_done_user_id_fkey: 'user_id' };

/** 7. Record story done: anyone, including anonymous readers (user_id NULL). */
export async function recordStoryDone(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  const { story_id } = parseInput(recordStoryDoneInput, rawInput);
  const [id] = await insertStoryDone(deps, [{ story_id, user_id: actor.userId }], STORY_FK);
  return { id: id! };
}

export const storyDoneBatchInput = z
  .array(z.object({ story_id: idSchema, user_id: idSchema.nullable() }).strict())
  .min(1)
  .max(10_000);

/**
 * Records many reads in one transaction (a server that buffers reads for a few
 * milliseconds, or an import of a reading log). All or nothing: one unknown
 * story rejects the batch, naming its index.
 */
export async function recordStoryDoneBatch(
  deps: AppDeps,
  rawInput: unknown,
): Promise<{ ids: number[] }> {
  const items = parseInput(storyDoneBatchInput, rawInput);
  return { ids: await insertStoryDone(deps, items, BATCH_FKS) };
}

async function insertStoryDone(
  deps: AppDeps,
  items: Array<{ story_id: number; user_id: number | null }>,
  fields: Record<string, string>,
): Promise<number[]> {
  return deps.runner.run('record-story-done', async (tx) => {
    const storyIds = items.map((i) => i.story_id);
    const live = await tx.query<{ id: number }>(
      'SELECT id FROM story WHERE id = ANY($1::int[]) AND NOT coalesce(deleted, false)',
      [storyIds],
    );
    const known = new Set(live.rows.map((r) => r.id));
    const missing = storyIds.findIndex((id) => !known.has(id));
    if (missing >= 0) {
      const field = items.length === 1 ? 'story_id' : `${missing}.story_id`;
      throw new InvalidInputError(field, `no story with id ${storyIds[missing]}`);
    }
    const { rows } = await translatingPgErrors(
      () =>
        tx.query<{ id: number }>(
          `INSERT INTO story_done (story_id, user_id, time)
           SELECT s, u, now() FROM unnest($1::int[], $2::int[]) AS t(s, u)
           RETURNING id`,
          [storyIds, items.map((i) => i.user_id)],
        ),
      fields,
    );
    return rows.map((r) => r.id);
  });
}
