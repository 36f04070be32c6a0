/**
 * Canonical form and hash of a mapped row, so that parity can compare a
 * Postgres row (mapped with mapRow) and a Convex document (as exportPage
 * returns it) by one hash: a clean mirror gives zero drift.
 *
 * The form covers exactly the table's configured columns, in name order; a
 * column absent from the input is written as `absent`, distinct from null.
 * Object keys are sorted (UTF-16 code units), so Convex's field order does not
 * matter. Numbers and int64 are tagged apart (`5` vs `5n`), so a type change is
 * drift. Bytes (bytea) are written `bytes(<lower-case hex>)`. The mirror's own fields (pgKey, pgVersion, ref_*, _id, _creationTime)
 * are not part of the form.
 */
import { createHash } from 'node:crypto';
import { bytesToHex } from './bytea.js';
import { compareCodeUnits, describe, isPlainObject } from './jsonValue.js';
import { findTable, type MirrorConfig, type TableConfig } from './tableConfig.js';
import { ConfigError } from '../core/errors.js';

export const CANONICAL_VERSION = 'tandem-canonical-v1';

export function canonicalValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'absent';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`;
  if (value instanceof ArrayBuffer) return `bytes(${bytesToHex(value)})`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareCodeUnits);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalValue(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`no canonical form for ${describe(value)}`);
}

/** The canonical text of a row's configured columns. */
export function canonicalRow(table: TableConfig, columns: Record<string, unknown>): string {
  const names = table.columns.map((c) => c.name).sort(compareCodeUnits);
  const parts = names.map(
    (name) =>
      `${JSON.stringify(name)}:${name in columns ? canonicalValue(columns[name]) : 'absent'}`,
  );
  return `{${parts.join(',')}}`;
}

/** sha256 (hex) of the canonical form of a mapped row of `table`. */
export function canonicalHash(
  table: string | TableConfig,
  columns: Record<string, unknown>,
  /** Needed when `table` is given by name. */
  config?: MirrorConfig,
): string {
  const tableConfig = typeof table === 'string' ? config && findTable(config, table) : table;
  if (!tableConfig) throw new ConfigError('tables', `table ${String(table)} is not mirrored`);
  return createHash('sha256')
    .update(`${CANONICAL_VERSION}\n${tableConfig.name}\n${canonicalRow(tableConfig, columns)}`)
    .digest('hex');
}
