/**
 * One Postgres column value → one Convex value, by the column's type.
 *
 * Values arrive in two shapes and both must map identically (parity compares
 * them): the capture trigger's to_jsonb row image (int8 and numeric as text,
 * timestamptz as ISO text, float8 NaN/Infinity as strings) and node-postgres
 * rows (Date for timestamptz, string for int8 and numeric, numbers for float8).
 */
import type { ColumnConfig, PgColumnType } from './tableConfig.js';
import { MAX_ARRAY_LENGTH } from './convexLimits.js';
import { checkedString, describe, encodeJsonValue } from './jsonValue.js';
import { mappingError, type MappingSite } from './mappingError.js';
import { timestampToMillis } from './timestamp.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^-?\d+$/;
const FLOAT_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOATS: Record<string, number> = {
  NaN: NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
};

export function mapColumnValue(column: ColumnConfig, raw: unknown, site: MappingSite): unknown {
  if (raw === null || raw === undefined) {
    if (!column.nullable) throw mappingError(site, 'not-null', 'NULL in a NOT NULL column');
    return null;
  }
  if (!column.array) return mapScalar(column, raw, site);
  if (!Array.isArray(raw)) {
    throw mappingError(
      site,
      'type',
      `expected an array (a parsed Postgres array), got ${describe(raw)}`,
    );
  }
  if (raw.length > MAX_ARRAY_LENGTH) {
    throw mappingError(
      site,
      'array-length',
      `${raw.length} elements exceed Convex's ${MAX_ARRAY_LENGTH} per array`,
    );
  }
  return raw.map((element: unknown) => {
    if (element === null) return null;
    if (Array.isArray(element))
      throw mappingError(site, 'array-dimensions', 'multi-dimensional array in a 1-D column');
    return mapScalar(column, element, site);
  });
}

function mapScalar(column: ColumnConfig, raw: unknown, site: MappingSite): unknown {
  switch (column.type) {
    case 'int2':
    case 'int4':
      return mapInteger(raw, site, column.type);
    case 'int8':
      return mapInt8(raw, site);
    case 'float4':
    case 'float8':
      return mapFloat(raw, site);
    case 'numeric':
      return expectString(raw, site, 'numeric (as Postgres text)');
    case 'bool':
      if (typeof raw !== 'boolean') throw typeError(site, 'boolean', raw);
      return raw;
    case 'text':
    case 'varchar':
      return checkedString(expectString(raw, site, 'string'), site);
    case 'enum':
      return mapEnum(column, raw, site);
    case 'timestamptz':
      return mapTimestamp(raw, site);
    case 'json':
    case 'jsonb':
      // Level 1 is the document holding the column.
      return encodeJsonValue(raw, site, 1);
  }
}

function mapInteger(raw: unknown, site: MappingSite, type: PgColumnType): number {
  const value = typeof raw === 'string' && INTEGER_TEXT.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(site, type, raw);
  return value;
}

function mapInt8(raw: unknown, site: MappingSite): bigint {
  let value: bigint;
  if (typeof raw === 'bigint') value = raw;
  else if (typeof raw === 'string' && INTEGER_TEXT.test(raw)) value = BigInt(raw);
  else if (typeof raw === 'number' && Number.isInteger(raw)) {
    // A number beyond 2^53 has already been rounded by whoever parsed it.
    if (!Number.isSafeInteger(raw))
      throw mappingError(site, 'int8-precision', `${raw} was parsed as a lossy number`);
    value = BigInt(raw);
  } else throw typeError(site, 'int8', raw);
  if (value < INT64_MIN || value > INT64_MAX)
    throw mappingError(site, 'int8-range', `${value} is outside int64`);
  return value;
}

function mapFloat(raw: unknown, site: MappingSite): number {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && Object.hasOwn(SPECIAL_FLOATS, raw))
    value = SPECIAL_FLOATS[raw]!;
  else if (typeof raw === 'string' && FLOAT_TEXT.test(raw)) value = Number(raw);
  else throw typeError(site, 'float', raw);
  // to_jsonb prints float8 -0 as 0, so the row image has lost the sign; normalise both paths.
  return Object.is(value, -0) ? 0 : value;
}

function mapEnum(column: ColumnConfig, raw: unknown, site: MappingSite): string {
  const value = expectString(raw, site, `enum ${column.enumName ?? ''}`.trim());
  if (!column.enumValues?.includes(value)) {
    throw mappingError(
      site,
      'enum-value',
      `${JSON.stringify(value)} is not a label of ${column.enumName ?? 'the enum'}`,
    );
  }
  return value;
}

function mapTimestamp(raw: unknown, site: MappingSite): number {
  const ms = timestampToMillis(raw);
  if (ms === null)
    throw mappingError(
      site,
      'timestamp-format',
      `cannot read ${JSON.stringify(String(raw))} as timestamptz`,
    );
  return ms;
}

function expectString(raw: unknown, site: MappingSite, what: string): string {
  if (typeof raw !== 'string') throw typeError(site, what, raw);
  return raw;
}

function typeError(site: MappingSite, expected: string, raw: unknown) {
  return mappingError(site, 'type', `expected ${expected}, got ${describe(raw)}`);
}
