/**
 * SQL expressions for a row's canonical key text and its row image, shared by
 * the generated capture trigger functions (record NEW/OLD) and the backfill's
 * page query (alias t), which must produce exactly what the trigger records.
 * Written out per column rather than by calling tandem.row_key /
 * tandem.columns_as_text per row: those SQL functions made the backfill's page
 * query about 8x slower, and a trigger call prepares each expression once per
 * transaction.
 */
import pg from 'pg';
import { carriedAsText } from '../mapping/pgTypes.js';
import type { ColumnConfig } from '../mapping/tableConfig.js';

/**
 * The key's canonical text (canonicalKey in src/core/changes.ts): the column's
 * text as jsonb prints it for a one-column key (char(n) keeps its padding), a
 * JSON array of those texts for a composite key. `utcColumns` are the
 * timestamptz key columns: their text is the instant in UTC (to_jsonb would
 * print it in the writing session's TimeZone, giving one row two keys).
 */
export function keyTextSql(
  record: string,
  keyColumns: readonly string[],
  utcColumns: readonly string[] = [],
): string {
  const texts = keyColumns.map((c) => {
    const field = `${record}.${pg.escapeIdentifier(c)}`;
    const value = utcColumns.includes(c) ? `(${field} AT TIME ZONE 'UTC')` : field;
    return `(to_jsonb(${value}) #>> '{}')`;
  });
  return texts.length === 1 ? texts[0]! : `to_json(ARRAY[${texts.join(', ')}]::text[])::text`;
}

export interface RowImageColumns {
  /** Scalar columns carried as their Postgres text (src/mapping/pgTypes.ts says which). */
  scalarText: readonly string[];
  /** Array columns of such types: every element carried as its text (`::text[]`). */
  nestedText: readonly string[];
  /** Columns to leave out of the image (unchanged heavy columns), or none. */
  leaveOut?: readonly string[];
}

/** `ARRAY['a', 'b']::text[]` */
export function textArraySql(names: readonly string[]): string {
  return `ARRAY[${names.map((c) => pg.escapeLiteral(c)).join(', ')}]::text[]`;
}

/** The row image: to_jsonb of the record, text-carried columns as their text, leaveOut columns removed. */
export function rowImageSql(record: string, columns: RowImageColumns): string {
  // record.* is the whole row even when the table has a column named like the alias (bare `t` would be that column).
  let image = `to_jsonb(${record}.*)`;
  if (columns.leaveOut?.length) image = `(${image} - ${textArraySql(columns.leaveOut)})`;
  const field = (c: string) => `${record}.${pg.escapeIdentifier(c)}`;
  const pairs = [
    ...columns.scalarText.map((c) => `${pg.escapeLiteral(c)}, ${field(c)}::text`),
    ...columns.nestedText.map(
      // ::text[] keeps every dimension and NULL element, and prints each element as ::text would.
      (c) => `${pg.escapeLiteral(c)}, ${field(c)}::text[]`,
    ),
  ];
  // jsonb_build_object takes at most 100 arguments: 50 columns per call.
  for (let i = 0; i < pairs.length; i += 50)
    image = `${image} || jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`;
  return image;
}

/**
 * An image of the named columns only, each value exactly as rowImageSql gives
 * it (to_jsonb of a record converts each column as jsonb_build_object does).
 * For readers that must ignore columns the mirror configuration does not know.
 */
export function columnsImageSql(
  record: string,
  names: readonly string[],
  columns: Omit<RowImageColumns, 'leaveOut'>,
): string {
  const value = (c: string) => {
    const field = `${record}.${pg.escapeIdentifier(c)}`;
    if (columns.nestedText.includes(c)) return `${field}::text[]`;
    return columns.scalarText.includes(c) ? `${field}::text` : field;
  };
  const pairs = names.map((c) => `${pg.escapeLiteral(c)}, ${value(c)}`);
  const parts: string[] = [];
  for (let i = 0; i < pairs.length; i += 50)
    parts.push(`jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`);
  return parts.length === 0 ? `'{}'::jsonb` : parts.join(' || ');
}

/** Which configured columns travel as text (src/mapping/pgTypes.ts), split into scalars and arrays. */
export function textCarriedColumns(
  columns: readonly ColumnConfig[],
): Omit<RowImageColumns, 'leaveOut'> {
  const text = columns.filter((c) => carriedAsText(c.type));
  return {
    scalarText: text.filter((c) => !c.array).map((c) => c.name),
    nestedText: text.filter((c) => c.array).map((c) => c.name),
  };
}
