/**
 * The read-stage facts the checklist's `reads-convex-held` gate and the freeze
 * check need, from the read cutover's audit log (tandem.read_flag_history):
 * the stage as of `now`, since when it has held, and the latest rollback
 * (a rollback drill's moves left out).
 */
import { readStageHistory, type StageHistoryEntry } from '../cutover/flagStore.js';
import type { Queryable } from '../postgres/database.js';
import type { ReadStageFacts } from './gates.js';
import { ROLLBACK_DRILL_RULE } from './rollbackDrill.js';
import type { ToolSchema } from '../core/toolSchema.js';

/**
 * A rollback drill's pair of moves (to postgres, then straight back to the
 * same stage) is not a rollback of the cutover: the held clock runs on
 * through it. A drill move without its way back (the drill was cut short)
 * stays: the table really is at postgres.
 */
function withoutDrills(history: StageHistoryEntry[]): StageHistoryEntry[] {
  const kept: StageHistoryEntry[] = [];
  for (let i = 0; i < history.length; i++) {
    const [h, next] = [history[i]!, history[i + 1]];
    const drillPair =
      h.rule === ROLLBACK_DRILL_RULE &&
      h.to.stage === 'postgres' &&
      next?.rule === ROLLBACK_DRILL_RULE &&
      next.to.stage === h.from.stage &&
      next.to.percent === h.from.percent;
    if (drillPair) i++;
    else kept.push(h);
  }
  return kept;
}

export function readStageSource(
  db: Queryable, tool: ToolSchema,
): (table: string, now: Date) => Promise<ReadStageFacts> {
  return async (table, now) => {
    const history = withoutDrills(
      (await readStageHistory(db, tool, table)).filter((h) => Date.parse(h.at) <= now.getTime()),
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
