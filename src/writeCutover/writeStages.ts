/**
 * The write stages of a write group and the one table of moves between them.
 * Typed `Record<WriteStage, Record<WriteStage, WriteTransition>>`, so a new
 * stage without a decision for every move to and from it does not compile.
 * docs/write-cutover.md carries the same table; a test keeps the two equal.
 */
import { InvalidInputError } from '../core/errors.js';

/** From Postgres as the writer to Convex as the writer. */
export const WRITE_STAGES = ['postgres', 'convex-shadow', 'convex'] as const;
export type WriteStage = (typeof WRITE_STAGES)[number];

/**
 * - `checked`: a move towards Convex; done only when the group's preconditions
 *   hold (reads on convex, gates met, no crossing write path), or forced (audited);
 * - `allowed`: done on request (Postgres stays, or becomes again, the only writer
 *   with nothing written in Convex to bring back);
 * - `drain`: Convex stops being the writer: only `rollback`, which holds the
 *   group's writes and drains reverse sync before switching;
 * - `same`: nothing to do.
 */
export type WriteTransition = 'checked' | 'allowed' | 'drain' | 'same';

export const WRITE_TRANSITIONS: Record<WriteStage, Record<WriteStage, WriteTransition>> = {
  postgres: { postgres: 'same', 'convex-shadow': 'checked', convex: 'checked' },
  'convex-shadow': { postgres: 'allowed', 'convex-shadow': 'same', convex: 'checked' },
  convex: { postgres: 'drain', 'convex-shadow': 'drain', convex: 'same' },
};

export function isWriteStage(value: string): value is WriteStage {
  return (WRITE_STAGES as readonly string[]).includes(value);
}

export function requireWriteStage(value: string): WriteStage {
  if (!isWriteStage(value))
    throw new InvalidInputError(
      'stage',
      `unknown write stage ${JSON.stringify(value)} (one of ${WRITE_STAGES.join(', ')})`,
    );
  return value;
}

/** Which store runs a write at this stage (and is the source of truth for the group). */
export function writerOf(stage: WriteStage): 'postgres' | 'convex' {
  return stage === 'convex' ? 'convex' : 'postgres';
}
