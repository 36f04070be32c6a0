/**
 * The read-stage facts the checklist's `reads-convex-held` gate and the freeze
 * check need, from the read cutover's audit log (tandem.read_flag_history):
 * the stage as of `now`, since when it has held, and the latest rollback.
 */
import { readStageHistory } from '../cutover/flagStore.js';
import type { Queryable } from '../postgres/database.js';
import type { ReadStageFacts } from './gates.js';

export function readStageSource(
  db: Queryable,
): (table: string, now: Date) => Promise<ReadStageFacts> {
  return async (table, now) => {
    const history = (await readStageHistory(db, table)).filter(
      (h) => Date.parse(h.at) <= now.getTime(),
    );
    const stage = history.at(-1)?.to.stage ?? 'postgres';
    // The stage has held since the first of the trailing changes that all led to it.
    let since: Date | null = null;
    for (let i = history.length - 1; i >= 0 && history[i]!.to.stage === stage; i--)
      since = new Date(history[i]!.at);
    const rollbacks = history.filter(
      (h) => h.to.stage === 'postgres' && h.from.stage !== 'postgres',
    );
    const last = rollbacks.at(-1);
    return { stage, since, lastRollbackAt: last ? new Date(last.at) : null };
  };
}
