/**
 * Write groups meet the phases (src/phases): a group's phase is the slowest
 * of its tables' (its writes move only when every table is ready), and the
 * checklist's `writes-moved` gate reads a table's write stage from its group.
 */
import { PHASES, type Phase } from '../phases/phases.js';
import type { Queryable } from '../postgres/database.js';
import { readWriteGroups } from './groupStore.js';
import { readWriteStageHistory } from './stageStore.js';
import type { WriteStage } from './writeStages.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** The earliest phase among the tables (`not-mirrored` for a table with none). */
export function slowestPhase(
  tables: readonly string[],
  phases: ReadonlyMap<string, { phase: Phase }>,
): Phase {
  let rank = PHASES.length - 1;
  for (const t of tables)
    rank = Math.min(rank, PHASES.indexOf(phases.get(t)?.phase ?? 'not-mirrored'));
  return tables.length === 0 ? 'not-mirrored' : PHASES[rank]!;
}

/**
 * `PhaseSources.writeStage` for the checklist: the stage of the table's saved
 * group, and since when it holds (`postgres` for a table in no group).
 */
export function writeStageSource(
  db: Queryable, tool: ToolSchema,
): (table: string) => Promise<{ stage: WriteStage; since: Date | null }> {
  return async (table) => {
    const group = (await readWriteGroups(db, tool)).find((g) => g.tables.includes(table));
    if (!group) return { stage: 'postgres', since: null };
    const moves = (await readWriteStageHistory(db, tool, group.name)).filter((h) => h.to !== null);
    const last = moves.at(-1);
    return {
      stage: group.stage,
      since: last && last.to === group.stage ? new Date(last.at) : null,
    };
  };
}
