/**
 * Index keys for the indexed store: a document's key in an index is the tuple
 * of its indexed field values followed by `_creationTime` and `_id`, exactly
 * the fields convex-test sorts an index range by, compared element by element
 * with Convex's own `compareValues`. So the order of a B-tree walk is the
 * order convex-test's sort produces, and a range of an index (equalities on a
 * prefix of the fields, then at most one lower and one upper bound on the
 * next field) is one contiguous run of keys between two bound keys.
 *
 * Bound keys end in a sentinel that sorts below (`LOW`) or above (`HIGH`)
 * every value, so they never equal a real key and every bound is handled as
 * "strictly between": `gt(x)` is [x, HIGH], `gte(x)` is [x, LOW].
 */
import { compareValues, type Value } from 'convex/values';

export const LOW: unique symbol = Symbol('below every value');
export const HIGH: unique symbol = Symbol('above every value');
type Sentinel = typeof LOW | typeof HIGH;

/** A document's key (only values) or a bound (values, then one sentinel). */
export type IndexKey = ReadonlyArray<Value | undefined | Sentinel>;

/**
 * Two distinct strings in Convex's order (UTF-8 bytes, i.e. code points).
 * UTF-16 code units order the same way unless the first difference involves
 * a surrogate, which is left to compareValues.
 */
function compareStrings(x: string, y: string): number | undefined {
  const n = x.length < y.length ? x.length : y.length;
  let i = 0;
  while (i < n && x.charCodeAt(i) === y.charCodeAt(i)) i++;
  if (i === n) return x.length - y.length;
  const cx = x.charCodeAt(i);
  const cy = y.charCodeAt(i);
  if (cx >= 0xd800 || cy >= 0xd800) return undefined;
  return cx - cy;
}

// Hot path note: no `Math` here. Inside a function convex-test serves the
// globals (`Math`, `Date`, …) through per-call getters, so each use costs an
// AsyncLocalStorage lookup; key comparison runs millions of times.
function compareElement(x: IndexKey[number], y: IndexKey[number]): number {
  // -0 === 0 in JavaScript, but Convex orders -0 first: zeros go to compareValues.
  if (x === y && x !== 0) return 0;
  if (x === LOW || y === HIGH) return -1;
  if (x === HIGH || y === LOW) return 1;
  // The common cases, two ordinary numbers (NaN and ±0 are left to compareValues) or two strings.
  if (typeof x === 'number' && typeof y === 'number') {
    if (x < y) return -1;
    if (x > y) return 1;
  } else if (typeof x === 'string' && typeof y === 'string') {
    const c = compareStrings(x, y);
    if (c !== undefined) return c < 0 ? -1 : 1;
  }
  return compareValues(x, y);
}

export function compareKeys(a: IndexKey, b: IndexKey): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const c = compareElement(a[i], b[i]);
    if (c !== 0) return c;
  }
  if (a.length === b.length) return 0;
  // Only a bound is longer than the key it is compared with, by its sentinel.
  if (a.length > b.length) return a[n] === LOW ? -1 : 1;
  return b[n] === LOW ? 1 : -1;
}

/** Objects convex-test walks into when evaluating a field path `a.b.c` (its isSimpleObject). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return (
    prototype === null || prototype === Object.prototype || prototype.constructor?.name === 'Object'
  );
}

/**
 * The value at a dotted field path, undefined where the path leaves plain
 * objects. A pending commit timestamp is left as it is: compareValues already
 * orders it as the largest int64, as convex-test's resolution does.
 */
export function fieldValue(
  document: Record<string, unknown>,
  fieldPath: string,
): Value | undefined {
  // A top-level field (every system field, most indexed ones): documents are plain objects.
  if (!fieldPath.includes('.')) return document[fieldPath] as Value | undefined;
  let current: unknown = document;
  for (const part of fieldPath.split('.')) {
    current = isPlainObject(current) ? current[part] : undefined;
  }
  return current as Value | undefined;
}

export function documentKey(
  fields: readonly string[],
  document: Record<string, unknown>,
): IndexKey {
  return fields.map((field) => fieldValue(document, field));
}

/** One comparison of an index range, as `withIndex` sends it (convex/server's serialized form). */
export interface RangeExpression {
  type: 'Eq' | 'Gt' | 'Gte' | 'Lt' | 'Lte';
  fieldPath: string;
  value: unknown;
}

export interface KeyBounds {
  lower: IndexKey;
  upper: IndexKey;
}

/**
 * The bound keys of a range that convex-test has already validated (equalities
 * on a prefix of the fields, then bounds on the next one). `decode` turns a
 * serialized bound into the value compared, as convex-test does.
 */
export function rangeBounds(
  range: readonly RangeExpression[],
  decode: (value: unknown) => Value | undefined,
): KeyBounds {
  const prefix: Array<Value | undefined> = [];
  let lower: IndexKey | undefined;
  let upper: IndexKey | undefined;
  for (const expression of range) {
    const value = decode(expression.value);
    switch (expression.type) {
      case 'Eq':
        prefix.push(value);
        break;
      case 'Gt':
        lower = [...prefix, value, HIGH];
        break;
      case 'Gte':
        lower = [...prefix, value, LOW];
        break;
      case 'Lt':
        upper = [...prefix, value, LOW];
        break;
      case 'Lte':
        upper = [...prefix, value, HIGH];
        break;
    }
  }
  return { lower: lower ?? [...prefix, LOW], upper: upper ?? [...prefix, HIGH] };
}
