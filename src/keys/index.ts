/** Postgres-compatible ids for rows created outside Postgres: reserved from the table's sequence. */
export {
  reserveKeys,
  keyLocation,
  toRuns,
  MAX_RESERVATION,
  type KeyColumn,
  type KeyRun,
  type KeyReservation,
} from './reserveKeys.js';
export {
  refillKeyRanges,
  convexKeyRangeStore,
  DEFAULT_KEY_RANGE_PATHS,
  type KeyRangeStore,
  type RefillOptions,
  type RefillOutcome,
  type ConvexFunctionRunner,
  type ConvexKeyRangePaths,
} from './refill.js';
