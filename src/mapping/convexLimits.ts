/**
 * Convex's storage limits as the mapping enforces them (docs.convex.dev,
 * "Limits" and "Data Types"). Where Convex's own counting is not documented
 * precisely the mapping errs on the strict side: a value it refuses becomes a
 * dead letter, never a silently altered document.
 */
export const MAX_DOCUMENT_BYTES = 1 << 20;
/** Kept free below MAX_DOCUMENT_BYTES for the estimate's slack and the ref_* Ids filled in by Convex. */
export const DOCUMENT_SIZE_MARGIN = 1024;
export const MAX_FIELDS_PER_OBJECT = 1024;
/** Counted with the document itself as level 1: a column's object is level 2. */
export const MAX_NESTING_DEPTH = 16;
export const MAX_ARRAY_LENGTH = 8192;
export const MAX_FIELD_NAME_LENGTH = 1024;

/**
 * Per function execution (docs.convex.dev/production/state/limits,
 * "Transactions"; the same numbers as convex-test's defaults, which the
 * stand-in and the embedded target enforce with these values).
 */
export const CONVEX_TRANSACTION_LIMITS = {
  bytesRead: 16 * (1 << 20),
  documentsRead: 32_000,
  /** Index ranges read ("db.get" and each query count one). */
  databaseQueries: 4_096,
  bytesWritten: 16 * (1 << 20),
  documentsWritten: 16_000,
  functionsScheduled: 1_000,
  scheduledFunctionArgsBytes: 16 * (1 << 20),
} as const;

/** Queries and mutations may run about 1 s of user code; the stand-in reports longer runs as a warning. */
export const FUNCTION_RUN_TIME_WARNING_MS = 1_000;

/**
 * Whether `name` may be a field name of a nested Convex object: non-empty, at
 * most 1,024 characters, printable ASCII (0x20-0x7E), not starting with `$`.
 * Names starting with `_` are refused too: Convex reserves them at top level
 * and its documentation is not consistent about nested objects, so the mapping
 * encodes such objects rather than risk a rejected write.
 */
export function isConvexFieldName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_FIELD_NAME_LENGTH) return false;
  if (name.startsWith('$') || name.startsWith('_')) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/** String.prototype.isWellFormed (ES2024, native since Node 20; TypeScript's ES2023 lib lacks it). */
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean })
  .isWellFormed;

/**
 * Convex stores strings as UTF-8, so a string with a lone UTF-16 surrogate
 * cannot be stored. (Native: the regular expression it replaced took 5 % of a
 * story backfill's CPU.)
 */
export function isWellFormedString(value: string): boolean {
  return isWellFormed.call(value);
}
