/**
 * jsonb/json values as Convex values, with one reversible encoding.
 *
 * Convex refuses some object shapes that JSON allows: field names that are
 * empty, start with `$` (or `_`, see convexLimits), contain non-ASCII or control
 * characters, and objects with more than 1,024 fields. Real story JSON has
 * non-ASCII keys, so such an object is stored as
 *
 *     { "~tandem_keys": [k1, k2, ...], "~tandem_values": [v1, v2, ...] }
 *
 * with the entries sorted by key (UTF-16 code unit order), keys as plain
 * strings and values encoded recursively. Any original object that itself has
 * a `~tandem_keys` or `~tandem_values` key is encoded the same way, so an object
 * of exactly those two keys always means "encoded" and `decodeJsonValue` is an
 * exact inverse. Encoding costs one level of nesting (the two arrays).
 *
 * Not encoded, but refused with a MappingError: strings with lone surrogates,
 * arrays (or encoded objects) of more than 8,192 elements, nesting deeper than
 * Convex allows. Numbers are whatever JSON.parse produced: a jsonb number with
 * more precision than a double was already rounded before it reached us.
 */
import {
  MAX_ARRAY_LENGTH,
  MAX_FIELDS_PER_OBJECT,
  MAX_NESTING_DEPTH,
  isConvexFieldName,
  isWellFormedString,
} from './convexLimits.js';
import { mappingError, type MappingSite } from './mappingError.js';

export const ENCODED_KEYS = '~tandem_keys';
export const ENCODED_VALUES = '~tandem_values';

/**
 * Maps a parsed JSON value. `parentLevel` is the nesting level of the container
 * holding it (a document's top-level column: 1).
 */
export function encodeJsonValue(value: unknown, site: MappingSite, parentLevel: number): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return checkedString(value, site);
  const level = parentLevel + 1;
  if (Array.isArray(value)) {
    checkContainer(site, level, value.length);
    return value.map((item) => encodeJsonValue(item, site, level));
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (!needsEncoding(keys)) {
      checkContainer(site, level, 0);
      const out: Record<string, unknown> = {};
      for (const key of keys) out[key] = encodeJsonValue(value[key], site, level);
      return out;
    }
    return encodeObject(value, keys, site, level);
  }
  throw mappingError(site, 'type', `not a JSON value: ${describe(value)}`);
}

function encodeObject(
  value: Record<string, unknown>,
  keys: string[],
  site: MappingSite,
  level: number,
): unknown {
  // The two arrays sit one level below the encoded object.
  checkContainer(site, level + 1, keys.length);
  const sorted = [...keys].sort(compareCodeUnits);
  return {
    [ENCODED_KEYS]: sorted.map((key) => checkedString(key, site)),
    [ENCODED_VALUES]: sorted.map((key) => encodeJsonValue(value[key], site, level + 1)),
  };
}

function needsEncoding(keys: string[]): boolean {
  if (keys.length > MAX_FIELDS_PER_OBJECT) return true;
  return keys.some(
    (key) => key === ENCODED_KEYS || key === ENCODED_VALUES || !isConvexFieldName(key),
  );
}

function checkContainer(site: MappingSite, level: number, length: number): void {
  if (level > MAX_NESTING_DEPTH) {
    throw mappingError(
      site,
      'nesting-depth',
      `nesting level ${level} exceeds Convex's ${MAX_NESTING_DEPTH}`,
    );
  }
  if (length > MAX_ARRAY_LENGTH) {
    throw mappingError(
      site,
      'array-length',
      `${length} elements exceed Convex's ${MAX_ARRAY_LENGTH} per array`,
    );
  }
}

export function checkedString(value: string, site: MappingSite): string {
  if (!isWellFormedString(value))
    throw mappingError(site, 'string-utf8', 'string has a lone UTF-16 surrogate');
  return value;
}

/** Exact inverse of encodeJsonValue. */
export function decodeJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeJsonValue);
  if (!isPlainObject(value)) return value;
  const encoded = asEncodedObject(value);
  const out: Record<string, unknown> = {};
  if (encoded) {
    // defineProperty: a decoded key may be "__proto__".
    encoded.keys.forEach((key, i) => define(out, key, decodeJsonValue(encoded.values[i])));
    return out;
  }
  for (const [key, item] of Object.entries(value)) define(out, key, decodeJsonValue(item));
  return out;
}

function asEncodedObject(
  value: Record<string, unknown>,
): { keys: string[]; values: unknown[] } | null {
  const keys = Object.keys(value);
  if (keys.length !== 2 || !(ENCODED_KEYS in value) || !(ENCODED_VALUES in value)) return null;
  const k = value[ENCODED_KEYS];
  const v = value[ENCODED_VALUES];
  if (!Array.isArray(k) || !Array.isArray(v) || k.length !== v.length) return null;
  if (!k.every((item) => typeof item === 'string')) return null;
  return { keys: k as string[], values: v };
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Date) return 'Date';
  if (typeof value === 'object')
    return value === null ? 'null' : (value.constructor?.name ?? 'object');
  return typeof value;
}
