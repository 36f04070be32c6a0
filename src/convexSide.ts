/**
 * `tandem/convex`: the helpers an application's Convex functions call (they
 * run inside Convex, so nothing here may use Node APIs): the versioned apply,
 * the paginated export behind `exportPage`, lookups by Postgres key, and the
 * canonical hash and key ranges parity compares. Today they read the mirrored
 * tables from the generated convex/mirror/tables.ts beside them.
 */
export { applyTransactions, applyChange, type ApplyOutcome } from '../convex/mirror/apply.js';
export {
  exportTablePage,
  DEFAULT_EXPORT_BYTES,
  MAX_EXPORT_BYTES,
  MAX_EXPORT_ITEMS,
  type ExportedPage,
  type ExportedRow,
} from '../convex/mirror/exportRows.js';
export { findByKey, findTombstone } from '../convex/mirror/lookup.js';
export { resolveRefs, fillChildRefs, clearChildRefs } from '../convex/mirror/refs.js';
export * from '../convex/mirror/types.js';
export {
  CANONICAL_VERSION,
  canonicalValue,
  canonicalRow,
  canonicalRowHash,
  sortedColumns,
  hashPrefix,
  digestHex,
} from '../convex/checks/canonical.js';
export { sha256Hex } from '../convex/checks/sha256.js';
export {
  mirroredTable,
  rowColumns,
  hashRow,
  readRangePage,
  rangeDigestPage,
  countPage,
  MAX_RANGE_ROWS,
  MAX_RANGE_ROWS_WITH_CONTENT,
  MAX_COUNT_ROWS,
  MAX_RANGE_BYTES,
  type HashedRow,
  type KeyRange,
  type RangeDigestPage,
  type RangePage,
} from '../convex/checks/ranges.js';
