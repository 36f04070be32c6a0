/** Value mapping between Postgres rows and Convex documents: pure, no I/O. */
export {
  mapChange,
  mapRow,
  rowKey,
  splitHeavy,
  checkDocumentSizes,
  type MappedRow,
} from './mapRow.js';
export { mapColumnValue } from './columnValue.js';
export { encodeJsonValue, decodeJsonValue, ENCODED_KEYS, ENCODED_VALUES } from './jsonValue.js';
export { timestampToMillis, millisToMicros, utcKeyText } from './timestamp.js';
export { canonicalHash, canonicalRow, canonicalValue, CANONICAL_VERSION } from './canonical.js';
export {
  estimateChangeBytes,
  estimateChangeIndexRanges,
  mainDocumentBytes,
  contentDocumentBytes,
  valueBytes,
} from './size.js';
export { MappingError, type MappingRule } from './mappingError.js';
export * from './convexLimits.js';
export * from './tableConfig.js';
