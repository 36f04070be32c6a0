/** Write cutover: write groups, write stages with audit and refusals, the forward switch and the rollback (each holding writes and draining), the write router. */
export * from './writeStages.js';
export {
  defaultGroupName,
  deriveWriteGroups,
  findCrossings,
  groupOfTable,
  type DeriveOptions,
  type GroupCrossing,
  type WriteGroup,
  type WritePath,
} from './groups.js';
export {
  scanOutboxTransactions,
  writePathsFromInventory,
  writePathsFromTransactions,
  type ObservedTransaction,
  type OutboxScan,
} from './writePaths.js';
export {
  writeStageChannel,
  readWriteGroups,
  saveWriteGroups,
  type SaveGroupsResult,
  type StoredWriteGroup,
} from './groupStore.js';
export {
  listRuntimeCrossings,
  watchCrossings,
  crossingsOfGroup,
  type RuntimeCrossing,
  type WatchCrossingsOptions,
} from './crossings.js';
export {
  checkWritePreconditions,
  checklistGates,
  GATES_BEFORE_WRITES,
  type GateSource,
  type PreconditionOptions,
  type Refusal,
  type RefusalReason,
  type UnmetGate,
} from './preconditions.js';
export {
  WriteStageRefusedError,
  readWriteStageHistory,
  setWriteStage,
  type WriteStageChange,
  type WriteStageHistoryEntry,
  type WriteStageRefusal,
  type WriteStageRequest,
} from './stageStore.js';
export {
  WriteRollbackRefusedError,
  rollbackWriteStage,
  type WriteDrain,
  type WriteRollbackRequest,
  type WriteRollbackResult,
} from './rollback.js';
export {
  WriteCutoverRefusedError,
  cutoverWriteStage,
  outboxBacklog,
  relayOutboxDrain,
  type OutboxDrain,
  type OutboxDrainResult,
  type VersionFloor,
  type WriteCutoverRequest,
  type WriteCutoverResult,
} from './cutover.js';
export { holdGroupWrites, setWritesPaused, type HeldWrites, type WriteHold } from './writePause.js';
export {
  WriteFlags,
  type WriteFlagsOptions,
  type WriteStageChangeEvent,
  type WriteStageSource,
} from './writeFlags.js';
export {
  createWriteRouter,
  type ShadowDifference,
  type WriteHandler,
  type WriteHandlers,
  type WriteOutcome,
  type WriteRouter,
  type WriteRouterOptions,
  type WriteShadowOptions,
} from './router.js';
export { convexWrite, type ConvexMutations } from './convexWrites.js';
export {
  createWriteCutoverMetrics,
  type WriteCutoverMetrics,
  type WriteCutoverMetricsOptions,
} from './metrics.js';
export { slowestPhase, writeStageSource } from './groupPhases.js';
export {
  formatWriteGroups,
  writeGroupReport,
  type SavedGroupReport,
  type WriteGroupReport,
  type WriteGroupReportOptions,
} from './report.js';
export { PreparationKeeper, type PreparationKeeperOptions } from './preparationKeeper.js';
