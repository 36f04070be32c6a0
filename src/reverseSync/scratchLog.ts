/**
 * A scratch deployment (the `convex-shadow` write stage runs each Convex
 * mutation against one and compares the outcome with Postgres's) logs its
 * writes like the real one does: the write paths' change log cannot tell the
 * two apart. That log must never reach Postgres — the scratch copy's changes
 * are a rehearsal, Postgres already has the real ones — and nothing else
 * drains it, so it would grow by every shadowed write. `trimScratchChangeLog`
 * wraps the scratch target: after every `every` mutations it deletes the
 * whole log. The version counter document stays, so later versions keep
 * rising. No reverse-sync cursor is read or moved: Postgres is not asked.
 */
import type { Logger } from '../log.js';
import type { ConvexMutations } from '../writeCutover/convexWrites.js';
import { changeLogSource, type FunctionCaller } from './changeLog.js';

export interface ScratchTrimOptions {
  /** Mutations between two trims. Default 100. */
  every?: number;
  log?: Logger;
}

export interface TrimmedScratch extends ConvexMutations {
  /** Deletes every change-log entry of the scratch deployment now; returns how many. */
  trim(): Promise<number>;
  /** Entries deleted by this wrapper so far. */
  readonly trimmed: number;
}

export function trimScratchChangeLog(
  scratch: ConvexMutations & FunctionCaller,
  options: ScratchTrimOptions = {},
): TrimmedScratch {
  const every = options.every ?? 100;
  const log = changeLogSource(scratch);
  let calls = 0;
  let trimmed = 0;
  const trim = async () => {
    let deleted = 0;
    for (;;) {
      const page = await log.pruneChangeLog(Number.MAX_SAFE_INTEGER);
      deleted += page.deleted;
      if (!page.more) break;
    }
    trimmed += deleted;
    return deleted;
  };
  return {
    get trimmed() {
      return trimmed;
    },
    trim,
    async mutation(path, args) {
      try {
        return await scratch.mutation(path, args);
      } finally {
        if (++calls % every === 0)
          await trim().catch((err: unknown) =>
            options.log?.warn({ err }, 'scratch change log not trimmed; will try again'),
          );
      }
    },
  };
}
