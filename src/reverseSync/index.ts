/** Reverse sync: the Convex change log applied to Postgres once a table's writes are in Convex. */
export {
  changeLogSource,
  CHANGELOG_PATHS,
  type ChangeLogEntry,
  type ChangeLogPage,
  type ChangeLogSource,
  type FunctionCaller,
  type PendingChanges,
} from './changeLog.js';
export {
  applyReverseChange,
  applyReverseChanges,
  type BatchItem,
  type BatchOutcome,
  type BatchResult,
  type DeadLetterOrder,
  type ReverseApplyOptions,
  type ReverseApplyOutcome,
} from './applyToPostgres.js';
export {
  applyNextPage,
  readCursor,
  EchoError,
  type PageHooks,
  type PageResult,
} from './applyPage.js';
export {
  ReverseSyncWorker,
  drainReverseSync,
  type DrainResult,
  type ReverseSyncOptions,
  type StepOutcome,
} from './worker.js';
export { createReverseSyncMetrics, reverseSyncLagByTable, type ReverseSyncMetrics } from './metrics.js';
export { changeLogPendingKeys, repairFromConvex, type ConvexRepairResult } from './parity.js';
export {
  convexWriterPendingKeys,
  repairFromWriter,
  savedWriteSources,
  writeSourceOf,
  writerParityOptions,
  type WriterRepairResult,
} from './writeSources.js';
export { toPgValue, toPgRecord, millisToTimestampText } from './pgValues.js';
export {
  reverseSyncStatus,
  listReverseDeadLetters,
  type ReverseSyncStatus,
  type ReverseDeadLetter,
} from './status.js';
export {
  ReverseSyncService,
  convexWriterGroups,
  convexWriterTables,
  type ReverseSyncServiceOptions,
  type WriteGroupSource,
} from './service.js';
export {
  countReverseDeadLetters,
  discardReverseDeadLetter,
  retryReverseDeadLetters,
  type ReverseRetryOutcome,
} from './deadLetters.js';
export { trimScratchChangeLog, type ScratchTrimOptions, type TrimmedScratch } from './scratchLog.js';
