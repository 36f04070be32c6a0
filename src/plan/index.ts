/** The migration plan derived from the live catalog (see docs/plan.md). */
export {
  buildPlan,
  planOrder,
  type MigrationPlan,
  type PlanCycle,
  type PlannedTable,
  type PlanOptions,
  type PlanReference,
  type SecondPassReference,
} from './buildPlan.js';
export { orderTables, stronglyConnected, type OrderEdge, type TableOrder } from './order.js';
export { orderWriteGroups } from './groupOrder.js';
export { assignPhases, PHASE_RANK, type PhaseKind, type TablePhase } from './phases.js';
export {
  applyKeyOverrides,
  planScope,
  NO_KEY_REASON,
  type PlanScope,
  type SkippedTable,
} from './scope.js';
export { planJson, formatPlan, type PlanJson } from './formatPlan.js';
export { readPlan } from './readPlan.js';
