/** Parity between Postgres and Convex, invariant runs, their history, and repair. */
export { runParity, DEFAULT_SAMPLE, type ParityOptions } from './runParity.js';
export { columnDifferenceText, type ParityMode, type ParityReport, type TableParity, type ColumnDifference } from './findings.js';
export { fullCheck, type FullCheckOptions, type FullCheckResult } from './fullCheck.js';
export {
  runInvariants,
  type InvariantReport,
  type InvariantRunOptions,
  type InvariantStore,
} from './invariantRuns.js';
export {
  requireInvariantSuite,
  type InvariantDefinition,
  type InvariantSuite,
  type InvariantViolation,
} from './invariantSuite.js';
export { recordRuns, listRuns, runDrift, latestParityDrift, type RunRecord, type StoredRun } from './history.js';
export {
  parityStatus,
  unresolvedDrift,
  type ParityScope,
  type ParityStatus,
  type UnresolvedDrift,
} from './streak.js';
export { repairKeys, type RepairResult } from './repair.js';
export type { WriteSource, PendingKeysReader } from './confirm.js';
export { keyValue, parseKeyArgument, type KeyValue } from './keys.js';
export { countConvexRows } from './convexReads.js';
