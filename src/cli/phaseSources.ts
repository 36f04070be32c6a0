/**
 * What the phases' checklist reads from the rest of the plan wherever the CLI
 * runs it (commands, the control room, the demo): the write stages from the
 * database, the alert rules from the project's policy.
 */
import { enabledConditions, writeStageSource, type AlertPolicy, type PhaseSources, type Queryable, type ToolSchema } from '../index.js';

export function planPhaseSources(db: Queryable, tool: ToolSchema, policy: AlertPolicy): PhaseSources {
  return {
    writeStage: writeStageSource(db, tool),
    alertRules: async (table) => enabledConditions(policy, table),
  };
}
