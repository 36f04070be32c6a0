/** Introspection of an application's tables from pg_catalog (see docs/plan.md). */
export * from './types.js';
export { readCatalog, DEFAULT_SCHEMA } from './readCatalog.js';
export {
  readTableStats,
  EXACT_COUNT_BELOW,
  type TableStats,
  type TableStatsOptions,
} from './tableStats.js';
