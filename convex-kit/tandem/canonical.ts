/**
 * The canonical form and hash of a mirrored row, computed inside Convex. It
 * must equal src/mapping/canonical.ts (the apply path's form) byte for byte;
 * the Convex bundle cannot import that module (it uses node:crypto), so this is
 * a second implementation of the same few rules, pinned to the first by
 * test/parity/convexCanonical.test.ts over generated values.
 */
import { sha256Hex } from './sha256.js';

export const CANONICAL_VERSION = 'tandem-canonical-v1';

const compareCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Lower-case hex of a bytes value (Convex stores bytea as ArrayBuffer). */
function hex(bytes: ArrayBuffer): string {
  let out = '';
  for (const byte of new Uint8Array(bytes)) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function canonicalValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'absent';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`;
  if (value instanceof ArrayBuffer) return `bytes(${hex(value)})`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareCodeUnits);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalValue(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`no canonical form for a ${typeof value}`);
}

/** `columnNames` must be sorted by code units (see sortedColumns). */
export function canonicalRow(columnNames: readonly string[], columns: Record<string, unknown>): string {
  const parts = columnNames.map(
    (name) => `${JSON.stringify(name)}:${name in columns ? canonicalValue(columns[name]) : 'absent'}`,
  );
  return `{${parts.join(',')}}`;
}

export function sortedColumns(names: readonly string[]): string[] {
  return [...names].sort(compareCodeUnits);
}

export function canonicalRowHash(
  table: string,
  columnNames: readonly string[],
  columns: Record<string, unknown>,
): string {
  return sha256Hex(`${CANONICAL_VERSION}\n${table}\n${canonicalRow(columnNames, columns)}`);
}

/**
 * A range's digest is the sum mod 2^64 of its rows' hash prefixes (first 16 hex
 * digits), with the row count: independent of order, so pages and sub-ranges
 * add up, and any single changed, missing or extra row changes it.
 */
export function hashPrefix(rowHash: string): bigint {
  return BigInt(`0x${rowHash.slice(0, 16)}`);
}

export function digestHex(sum: bigint): string {
  return BigInt.asUintN(64, sum).toString(16).padStart(16, '0');
}
