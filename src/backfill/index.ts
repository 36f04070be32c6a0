/** Backfill: copies existing rows into Convex behind live capture, throttled and resumable. */
export { backfill, backfillOrder, type BackfillResult } from './backfill.js';
export type { TableBackfillResult } from './tableRun.js';
export {
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_ROWS,
  DEFAULT_CALLS_IN_FLIGHT,
  MAX_CALLS_IN_FLIGHT,
  MAX_BATCH_BYTES,
  MAX_BATCH_ROWS,
  type BackfillOptions,
  type BackfillProgress,
} from './options.js';
export { readPage, tableShape, type PageRow, type TableShape } from './readPage.js';
export { readBackfillState, readBackfillStates, type BackfillState } from './state.js';
export {
  backfillStatus,
  STALE_RUN_MS,
  type BackfillPhase,
  type TableBackfillStatus,
} from './status.js';
export {
  DEFAULT_LATENCY_BACKOFF,
  LatencyBackoff,
  RateLimiter,
  type LatencyBackoffOptions,
} from './throttle.js';
