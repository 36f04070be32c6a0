/**
 * Convex values → Postgres, the inverse of src/mapping/columnValue.ts, for the
 * reverse-sync apply. Each column becomes the JSON value that
 * `jsonb_populate_record` turns into the column's type: a JSON string goes
 * through the type's own input function (so int8, numeric, timestamps, bytea,
 * enums, domains and every "other" type get Postgres's exact parsing and
 * checks), JSON arrays become Postgres arrays, and json/jsonb columns take the
 * JSON value as it is. Pure: no I/O.
 */
import { decodeJsonValue } from '../mapping/jsonValue.js';
import { millisToMicros } from '../mapping/timestamp.js';
import { mappingError, type MappingSite } from '../mapping/mappingError.js';
import type { ColumnConfig, TableConfig } from '../mapping/tableConfig.js';

const US_PER_DAY = 86_400_000_000n;

/** One column's value for jsonb_populate_record. */
export function toPgValue(column: ColumnConfig, value: unknown, site: MappingSite): unknown {
  if (value === null || value === undefined) {
    if (!column.nullable) throw mappingError(site, 'not-null', 'NULL for a NOT NULL column');
    return null;
  }
  if (column.type === 'json' || column.type === 'jsonb') return decodeJsonValue(value);
  if (!column.array) return scalar(column, value, site);
  if (!Array.isArray(value)) throw typeError(site, 'an array', value);
  return value.map((element: unknown) => (element === null ? null : scalar(column, element, site)));
}

function scalar(column: ColumnConfig, value: unknown, site: MappingSite): unknown {
  switch (column.type) {
    case 'int2':
    case 'int4':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        throw typeError(site, 'an integer', value);
      return value;
    case 'int8':
      if (typeof value !== 'bigint') throw typeError(site, 'an int64 (bigint)', value);
      return value.toString();
    case 'float4':
    case 'float8':
      if (typeof value !== 'number') throw typeError(site, 'a number', value);
      // JSON has no NaN, Infinity or -0: their Postgres texts keep them exact.
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(site, 'a boolean', value);
      return value;
    case 'timestamptz':
    case 'timestamp':
      if (typeof value !== 'number' || Number.isNaN(value))
        throw typeError(site, 'milliseconds', value);
      return millisToTimestampText(value, column.type === 'timestamptz');
    case 'bytea':
      if (!(value instanceof ArrayBuffer)) throw typeError(site, 'bytes (ArrayBuffer)', value);
      return `\\x${Buffer.from(value).toString('hex')}`;
    case 'enum':
      if (typeof value !== 'string' || !column.enumValues?.includes(value))
        throw mappingError(
          site,
          'enum-value',
          `${JSON.stringify(value)} is not a label of ${column.enumName ?? 'the enum'}`,
        );
      return value;
    default:
      // numeric, text types, uuid, date/time, interval, "other": Postgres text.
      if (typeof value !== 'string')
        throw typeError(site, `${column.pgType ?? column.type} text`, value);
      return value;
  }
}

/**
 * Milliseconds since the epoch (fractional when the value had microseconds,
 * as src/mapping/timestamp.ts maps it) as Postgres timestamp text in UTC:
 * ISO dates with a ` BC` suffix before year 1, `infinity` for ±Infinity.
 * Written out by hand (days to civil date, H. Hinnant's algorithm) because
 * JavaScript's Date has no microseconds, prints years past 9999 and before 1
 * in an extended form Postgres does not read, and covers less than Postgres's
 * range.
 */
export function millisToTimestampText(ms: number, zoned: boolean): string {
  if (ms === Infinity) return 'infinity';
  if (ms === -Infinity) return '-infinity';
  const micros = millisToMicros(ms);
  let days = micros / US_PER_DAY;
  if (micros % US_PER_DAY < 0n) days -= 1n;
  const inDay = Number(micros - days * US_PER_DAY);
  const z = Number(days) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const seconds = Math.floor(inDay / 1_000_000);
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}.${pad(inDay % 1_000_000, 6)}`;
  const bc = year <= 0;
  const text = `${pad(bc ? 1 - year : year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${time}`;
  return `${text}${zoned ? '+00' : ''}${bc ? ' BC' : ''}`;
}

/**
 * A row in Convex terms (every column of the table, heavy ones included) as
 * the JSON object for jsonb_populate_record. Only the columns present are
 * returned; `requireAll` refuses a row missing one (an insert needs them all).
 */
export function toPgRecord(
  table: TableConfig,
  key: string,
  row: Record<string, unknown>,
): Record<string, unknown> {
  const known = new Map(table.columns.map((c) => [c.name, c]));
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    const column = known.get(name);
    const site = { table: table.name, key, column: name };
    if (!column)
      throw mappingError(site, 'unknown-column', 'column is not in the mirror configuration');
    record[name] = toPgValue(column, value, site);
  }
  for (const column of table.columns) {
    if (!(column.name in row))
      throw mappingError(
        { table: table.name, key, column: column.name },
        'missing-column',
        'change has no value for this column',
      );
  }
  return record;
}

/** The key columns' values from a canonical key text (core/changes canonicalKey), for jsonb_populate_record. */
export function keyRecord(table: TableConfig, key: string): Record<string, unknown> {
  if (table.primaryKey.length === 1) return { [table.primaryKey[0]!]: key };
  let texts: unknown;
  try {
    texts = JSON.parse(key);
  } catch {
    texts = null;
  }
  if (
    !Array.isArray(texts) ||
    texts.length !== table.primaryKey.length ||
    !texts.every((t) => typeof t === 'string')
  )
    throw mappingError(
      { table: table.name, key, column: null },
      'primary-key',
      `key text is not a JSON array of ${table.primaryKey.length} texts`,
    );
  return Object.fromEntries(table.primaryKey.map((name, i) => [name, texts[i]]));
}

function typeError(site: MappingSite, expected: string, value: unknown) {
  const got = value instanceof ArrayBuffer ? 'bytes' : typeof value;
  return mappingError(site, 'type', `expected ${expected}, got ${got}`);
}
