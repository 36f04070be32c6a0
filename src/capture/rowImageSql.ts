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

/**
 * The key's canonical text (canonicalKey in src/core/changes.ts): the column's
 * text as jsonb prints it for a one-column key (char(n) keeps its padding), a
 * JSON array of those texts for a composite key.
 */
export function keyTextSql(record: string, keyColumns: readonly string[]): string {
  const texts = keyColumns.map((c) => `(to_jsonb(${record}.${pg.escapeIdentifier(c)}) #>> '{}')`);
  return texts.length === 1 ? texts[0]! : `to_json(ARRAY[${texts.join(', ')}]::text[])::text`;
}

export interface RowImageColumns {
  /** int8/numeric columns known to be scalars: carried as their text. */
  scalarText: readonly string[];
  /** Arrays of int8/numeric (or columns of either kind): every number carried as text. */
  nestedText: readonly string[];
  /** Columns to leave out of the image (unchanged heavy columns), or none. */
  leaveOut?: readonly string[];
}

/** `ARRAY['a', 'b']::text[]` */
export function textArraySql(names: readonly string[]): string {
  return `ARRAY[${names.map((c) => pg.escapeLiteral(c)).join(', ')}]::text[]`;
}

/** The row image: to_jsonb of the record, int8/numeric as exact text, leaveOut columns removed. */
export function rowImageSql(record: string, columns: RowImageColumns): string {
  let image = `to_jsonb(${record})`;
  if (columns.leaveOut?.length) image = `(${image} - ${textArraySql(columns.leaveOut)})`;
  const field = (c: string) => `${record}.${pg.escapeIdentifier(c)}`;
  const pairs = [
    ...columns.scalarText.map((c) => `${pg.escapeLiteral(c)}, ${field(c)}::text`),
    ...columns.nestedText.map(
      (c) => `${pg.escapeLiteral(c)}, tandem.json_numbers_as_text(to_jsonb(${field(c)}))`,
    ),
  ];
  // jsonb_build_object takes at most 100 arguments: 50 columns per call.
  for (let i = 0; i < pairs.length; i += 50)
    image = `${image} || jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`;
  return image;
}
