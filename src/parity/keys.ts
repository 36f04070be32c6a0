/**
 * Primary keys as parity handles them: the canonical key text (what the outbox
 * and Convex's pgKey hold), the SQL that orders and finds rows by it, and the
 * key's own value for reports (a number, a string, or an array of them for a
 * composite key).
 */
import { InvalidInputError } from '../core/errors.js';
import { keyTextSql as captureKeyTextSql } from '../capture/rowImageSql.js';
import { quoteIdentifier, type ColumnConfig, type PgColumnType, type TableConfig } from '../mapping/index.js';
import { parseTimestampMicros } from '../mapping/timestamp.js';

export type KeyValue = string | number | Array<string | number>;

/** One quoting rule for identifiers, the mapping's (it names the tables parity reads too). */
export const quoteIdent = quoteIdentifier;

const PLAIN_TEXT_KEY: ReadonlySet<PgColumnType> = new Set(['int2', 'int4', 'int8', 'text', 'varchar']);

function keyColumns(table: TableConfig): ColumnConfig[] {
  return table.primaryKey.map((name) => table.columns.find((c) => c.name === name)!);
}

/**
 * SQL for a row's canonical key text, with the table aliased `t`. A one-column
 * integer or text key is its `::text` (equal to the trigger's to_jsonb text,
 * and cheap); anything else is the trigger's own expression.
 */
export function keyTextSql(table: TableConfig): string {
  const columns = keyColumns(table);
  if (columns.length === 1 && PLAIN_TEXT_KEY.has(columns[0]!.type) && !columns[0]!.array)
    return `t.${quoteIdent(columns[0]!.name)}::text`;
  return captureKeyTextSql('t', table.primaryKey, utcKeyColumns(table));
}

/** The table's timestamptz key columns (their key text is in UTC). */
export function utcKeyColumns(table: TableConfig): string[] {
  return keyColumns(table)
    .filter((c) => c.type === 'timestamptz')
    .map((c) => c.name);
}

const SQL_ARRAY_TYPE: Partial<Record<PgColumnType, string>> = {
  int2: 'int2',
  int4: 'int4',
  int8: 'int8',
  numeric: 'numeric',
  float4: 'float4',
  float8: 'float8',
  bool: 'bool',
  bpchar: 'bpchar',
  uuid: 'uuid',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  // The key text is the UTC wall clock: read as timestamp, converted below.
  timestamptz: 'timestamp',
};

/** The texts of a key's columns, from its canonical text. */
export function keyParts(table: TableConfig, keyText: string): string[] {
  if (table.primaryKey.length === 1) return [keyText];
  let parsed: unknown;
  try {
    parsed = JSON.parse(keyText);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== table.primaryKey.length || !parsed.every((p) => typeof p === 'string'))
    throw new InvalidInputError('keys', `${table.name} has a composite key: give it as a JSON array of texts, not ${keyText}`);
  return parsed as string[];
}

/**
 * A WHERE condition matching the rows whose keys are in `keyTexts`, on the key
 * columns themselves (so their index serves it), with the values bound as
 * typed arrays starting at parameter `$firstParam`.
 */
export function keyFilter(
  table: TableConfig,
  keyTexts: readonly string[],
  firstParam = 1,
): { sql: string; params: string[][] } {
  const columns = keyColumns(table);
  const parts = keyTexts.map((k) => keyParts(table, k));
  columns.forEach((column, i) => {
    if (['int2', 'int4', 'int8'].includes(column.type)) {
      const bad = parts.find((p) => !/^-?\d+$/.test(p[i]!));
      if (bad) throw new InvalidInputError('keys', `${table.name}.${column.name} is an integer, not ${JSON.stringify(bad[i])}`);
    }
    if (column.type === 'timestamptz' || column.type === 'timestamp') {
      const bad = parts.find((p) => parseTimestampMicros(p[i]!, false) === null);
      if (bad) throw new InvalidInputError('keys', `${table.name}.${column.name} is a timestamp, not ${JSON.stringify(bad[i])}`);
    }
  });
  const params = columns.map((_, i) => parts.map((p) => p[i]!));
  const cast = (column: ColumnConfig, n: number) => `$${n}::${SQL_ARRAY_TYPE[column.type] ?? 'text'}[]`;
  const lhs = (column: ColumnConfig) =>
    SQL_ARRAY_TYPE[column.type] ? `t.${quoteIdent(column.name)}` : `t.${quoteIdent(column.name)}::text`;
  const zoned = columns.some((c) => c.type === 'timestamptz');
  if (columns.length === 1 && !zoned)
    return { sql: `${lhs(columns[0]!)} = ANY(${cast(columns[0]!, firstParam)})`, params };
  const tuple = columns.map(lhs).join(', ');
  const arrays = columns.map((c, i) => cast(c, firstParam + i)).join(', ');
  const names = columns.map((_, i) => `k${i}`);
  const picked = columns.map((c, i) => (c.type === 'timestamptz' ? `(u.k${i} AT TIME ZONE 'UTC')` : `u.k${i}`));
  return {
    sql: `(${tuple}) IN (SELECT ${picked.join(', ')} FROM unnest(${arrays}) AS u(${names.join(', ')}))`,
    params,
  };
}

/** The key's own value for reports: numbers for int2/int4 (and safe int8), strings otherwise. */
export function keyValue(table: TableConfig, keyText: string): KeyValue {
  const columns = keyColumns(table);
  const parts = keyParts(table, keyText);
  const values = parts.map((text, i) => {
    const type = columns[i]!.type;
    if (type === 'int2' || type === 'int4') return Number(text);
    if (type === 'int8' && Number.isSafeInteger(Number(text))) return Number(text);
    return text;
  });
  return values.length === 1 ? values[0]! : values;
}

export function isValidKeyText(table: TableConfig, keyText: string): boolean {
  try {
    keyFilter(table, [keyText]);
    return true;
  } catch {
    return false;
  }
}

/** Parses a key given on the command line (its canonical text) into canonical text, checked against the table. */
export function parseKeyArgument(table: TableConfig, raw: string): string {
  keyFilter(table, [raw]);
  return raw;
}
