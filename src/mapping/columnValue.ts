/**
 * One Postgres column value → one Convex value, by the column's type
 * (docs/value-mapping.md has the table and the reasons).
 *
 * Values arrive as a row image (src/mapping/pgTypes.ts): to_jsonb values, with
 * int8, numeric, floats and `other` types as their Postgres text. Capture,
 * backfill, repair and parity all read that one shape. Values a JavaScript
 * caller holds are accepted where they are exact: numbers and bigints for
 * integers, numbers for floats, a Date for timestamptz, bytes for bytea.
 */
import type { ColumnConfig, PgColumnType } from './tableConfig.js';
import { MAX_ARRAY_LENGTH } from './convexLimits.js';
import { checkedString, describe, encodeJsonValue } from './jsonValue.js';
import { mappingError, type MappingSite } from './mappingError.js';
import { timestampToMillis } from './timestamp.js';
import { byteaToArrayBuffer } from './bytea.js';

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
    case 'bpchar':
    case 'uuid':
    case 'date':
    case 'time':
    case 'timetz':
    case 'interval':
    case 'other':
      // Postgres text, exactly as printed (char(n) keeps its padding).
      return checkedString(expectString(raw, site, `${column.pgType ?? column.type} text`), site);
    case 'enum':
      return mapEnum(column, raw, site);
    case 'timestamptz':
      return mapTimestamp(raw, site, true);
    case 'timestamp':
      return mapTimestamp(raw, site, false);
    case 'bytea':
      return mapBytea(raw, site);
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
  // The image carries floats as text (to_jsonb would print -0 as 0), so -0 is kept.
  return value;
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

function mapTimestamp(raw: unknown, site: MappingSite, zoned: boolean): number {
  const type = zoned ? 'timestamptz' : 'timestamp';
  // A Date is read in the local time zone by node-postgres for timestamp: only exact for timestamptz.
  if (!zoned && raw instanceof Date) throw typeError(site, 'timestamp text', raw);
  if (typeof raw === 'number' && !Number.isInteger(raw) && Number.isFinite(raw))
    throw typeError(site, `${type} (whole milliseconds or Postgres text)`, raw);
  const ms = timestampToMillis(raw, zoned);
  if (ms !== null) return ms;
  if (typeof raw === 'string' && timestampToMillis(raw.replace(/\.\d+/, ''), zoned) !== null)
    throw mappingError(
      site,
      'timestamp-precision',
      `${raw}: a float64 of milliseconds cannot carry these microseconds exactly`,
    );
  throw mappingError(
    site,
    'timestamp-format',
    `cannot read ${JSON.stringify(String(raw))} as ${type}`,
  );
}

function mapBytea(raw: unknown, site: MappingSite): ArrayBuffer {
  if (raw instanceof ArrayBuffer) return raw;
  if (raw instanceof Uint8Array)
    return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  const bytes = typeof raw === 'string' ? byteaToArrayBuffer(raw) : null;
  if (!bytes) throw typeError(site, 'bytea (Postgres hex or escape text, or bytes)', raw);
  return bytes;
}

function expectString(raw: unknown, site: MappingSite, what: string): string {
  if (typeof raw !== 'string') throw typeError(site, what, raw);
  return raw;
}

function typeError(site: MappingSite, expected: string, raw: unknown) {
  return mappingError(site, 'type', `expected ${expected}, got ${describe(raw)}`);
}
