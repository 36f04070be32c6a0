/**
 * Every read of pg_catalog about an application's tables (see docs/plan.md and
 * docs/architecture.md): the tool's other modules ask these functions, never
 * the catalog directly.
 */
export * from './types.js';
export { readCatalog } from './readCatalog.js';
export {
  readTableStats,
  EXACT_COUNT_BELOW,
  type TableStats,
  type TableStatsOptions,
} from './tableStats.js';
export { readTableColumns, readQualifiedTableColumns, type TableColumn } from './tableColumns.js';
export {
  readRelations,
  tablesWithTrigger,
  partitionsWithOwnTrigger,
  type RelationFacts,
  type RelationTrigger,
  type TriggerEnabled,
} from './relations.js';
export {
  readColumnSequence,
  readColumnsFilledBySequence,
  type ColumnSequence,
  type SequenceFacts,
} from './sequences.js';
export { readRowEstimate, readTreeRowEstimate, type TreeRowEstimate } from './rowEstimates.js';
export { readSchemaRelationCount } from './schemas.js';
