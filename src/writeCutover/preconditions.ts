/**
 * What must hold before a group's writes move towards Convex (to
 * `convex-shadow` or `convex`), each failure a reason in words:
 * - every table of the group reads from Convex (read stage `convex`): a write
 *   made in Convex must be what the application reads back;
 * - every gate of the plan up to the writes step is met for every table
 *   (src/phases: capture, backfill, drills, alerts, parity, reads held);
 * - no write path crosses into another group (seen at runtime: the outbox is
 *   read up to now first; or in the write paths given, e.g. a fresh
 *   inventory): its write would span two sources of truth.
 */
import { listReadStages } from '../cutover/flagStore.js';
import type { MirrorConfig } from '../mapping/index.js';
import { checklist, type ChecklistOptions } from '../phases/gates.js';
import { STEPS, type GateId } from '../phases/phases.js';
import type { Queryable } from '../postgres/database.js';
import { crossingsOfGroup, watchCrossings } from './crossings.js';
import type { WritePath } from './groups.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type RefusalReason = 'reads-not-convex' | 'gates-unmet' | 'crossing';

export interface Refusal {
  reason: RefusalReason;
  message: string;
}

export interface UnmetGate {
  table: string;
  gate: GateId;
  evidence: string;
}

/** The unmet gates (up to the writes step) of some tables. */
export type GateSource = (tables: readonly string[]) => Promise<UnmetGate[]>;

/** The gates of every step before the one into `writes-on-convex`. */
export const GATES_BEFORE_WRITES: readonly GateId[] = STEPS.slice(
  0,
  STEPS.findIndex((s) => s.to === 'writes-on-convex'),
).flatMap((s) => s.gates);

/** The phases' checklist as a GateSource. */
export function checklistGates(
  db: Queryable, tool: ToolSchema,
  mirror: MirrorConfig,
  options: ChecklistOptions = {},
): GateSource {
  return async (tables) => {
    const lists = await checklist(db, tool, mirror, tables, options, GATES_BEFORE_WRITES);
    return lists.flatMap((list) =>
      list.gates
        .filter((g) => !g.met)
        .map((g) => ({ table: list.table, gate: g.gate, evidence: g.evidence })),
    );
  };
}

export interface PreconditionOptions {
  gates: GateSource;
  /** Write paths known now (a fresh inventory), checked for crossings besides the runtime ones. */
  writePaths?: readonly WritePath[];
}

export async function checkWritePreconditions(
  db: Queryable, tool: ToolSchema,
  group: { name: string; tables: readonly string[] },
  options: PreconditionOptions,
): Promise<Refusal[]> {
  const refusals: Refusal[] = [];
  const notConvex = (await listReadStages(db, tool, group.tables)).filter((r) => r.stage !== 'convex');
  if (notConvex.length > 0)
    refusals.push({
      reason: 'reads-not-convex',
      message: `reads are not on convex: ${notConvex.map((r) => `${r.table} reads at ${r.stage}`).join(', ')}`,
    });
  const unmet = await options.gates(group.tables);
  if (unmet.length > 0)
    refusals.push({
      reason: 'gates-unmet',
      message: `gates unmet: ${unmet.map((u) => `${u.table} ${u.gate} (${u.evidence})`).join('; ')}`,
    });
  // Transactions written since the last scan are looked at first, so a crossing path seen once refuses.
  await watchCrossings(db, tool);
  const crossings = await crossingsOfGroup(db, tool, group.name, options.writePaths);
  if (crossings.length > 0)
    refusals.push({
      reason: 'crossing',
      message: `write paths cross groups: ${crossings
        .map(
          (c) =>
            `${c.path} (${c.source}) writes ${c.tables.join(', ')} in groups ${c.groups.join(', ')}`,
        )
        .join('; ')}`,
    });
  return refusals;
}
