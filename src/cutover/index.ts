/** Read cutover: per-table read stages, their store and propagation, the read router, shadow reads. */
export * from './readStages.js';
export { BUCKETS, userBucket, inPercent, newSalt } from './buckets.js';
export { decideRead, tableSelectsUser, type ReadDecision, type ReadingUser, type TableStage } from './decide.js';
export {
  readFlagChannel,
  ReadStageRefusedError,
  changeReadStage,
  listReadStages,
  readFlagRows,
  readStageHistory,
  rollbackReadStages,
  setReadStage,
  type RollbackRequest,
  type StageChange,
  type StageChangeRequest,
  type StageHistoryEntry,
  type StoredStageChange,
  type TableReadFlag,
} from './flagStore.js';
export {
  DEFAULT_STALE_AFTER_MS,
  InstanceRegistry,
  listReadInstances,
  type InstanceRegistryOptions,
  type ReadInstance,
} from './instances.js';
export {
  ReadFlags,
  readOverrideFromConfig,
  type ForcedTables,
  type ReadFlagsOptions,
  type ReadOverride,
  type StageChangeEvent,
} from './readFlags.js';
export {
  Reader,
  routedReads,
  type ReadMethods,
  type ReadRequest,
  type ReadResult,
  type ReadSource,
  type ReaderOptions,
  type RoutedReadsSpec,
  type ServedRead,
  type ShadowOptions,
  type ShadowSettings,
  type StageSource,
} from './reader.js';
export { ReadStats, type ReadStatName } from './readStats.js';
export {
  canonicalResult,
  changesInFlight,
  countChangesInFlight,
  type CompareSlice,
  type ShadowClass,
  type ShadowMode,
} from './shadowCompare.js';
export type { CompareContext, CompareVerdict, ShadowComparator } from './shadowClassify.js';
export {
  ShadowRecorder,
  shadowReport,
  type ShadowOutcome,
  type ShadowRecorderOptions,
  type ShadowReport,
  type ShadowSample,
  type ShadowTableReport,
} from './shadowStore.js';
export { createCutoverMetrics, type CutoverMetrics } from './metrics.js';
export {
  READ_FLAG_PREFIX,
  ReadStageProvider,
  readStageMetricsHook,
  type ReadStageProviderOptions,
  type StageFlags,
} from './openFeature.js';
export {
  AutoRollback,
  ROLLBACK_SIGNALS,
  type AlertRaiser,
  type AutoRollbackOptions,
  type RollbackTrip,
  type SignalValue,
} from './autoRollback.js';
