/**
 * The capture trigger function of one table, generated from the live catalog.
 *
 * Why one function per table rather than one shared function with trigger
 * arguments (the first design, still in 0002/0005): a shared PL/pgSQL function
 * cannot name a column of NEW or OLD, so it had to convert the whole old row to
 * jsonb (or plan dynamic SQL) just to read its key, and it could not tell
 * whether a story's 100 KB of text and JSON had changed. Generated code reads
 * the key columns directly and leaves unchanged heavy columns (the ones Convex
 * keeps in a companion content table) out of the image, which is what made
 * capture cheap enough for the write paths (BENCHMARKS.md, section 1).
 *
 * Columns are still taken with `to_jsonb(NEW)`, so a column added later is
 * captured without reinstalling; only the key, the int8/numeric columns and the
 * heavy columns are named in the code, and `capture status` reports the table
 * as `stale` when those no longer match the catalog.
 */
import crypto from 'node:crypto';
import pg from 'pg';

export interface CaptureFunctionSpec {
  table: string;
  keyColumns: readonly string[];
  /** Base type names of the key columns, in key order. */
  keyTypes: readonly string[];
  /** int8/numeric columns, carried as text so that JavaScript reads them exactly. */
  textColumns: readonly string[];
  /** Arrays of int8/numeric, carried with every number as text. */
  textArrayColumns: readonly string[];
  /** Columns left out of an update's image when unchanged (the table's companion content). */
  heavyColumns: readonly string[];
}

const MAX_IDENTIFIER_BYTES = 63;

/** `capture_<table>` in schema tandem; long names end in a hash so two never collide. */
export function captureFunctionName(table: string): string {
  const plain = `capture_${table}`;
  if (Buffer.byteLength(plain) <= MAX_IDENTIFIER_BYTES) return plain;
  const hash = crypto.createHash('sha256').update(table).digest('hex').slice(0, 10);
  let prefix = plain;
  while (Buffer.byteLength(`${prefix}_${hash}`) > MAX_IDENTIFIER_BYTES)
    prefix = prefix.slice(0, -1);
  return `${prefix}_${hash}`;
}

export function qualifiedCaptureFunction(table: string): string {
  return `tandem.${pg.escapeIdentifier(captureFunctionName(table))}`;
}

/**
 * The key's canonical text, as tandem.row_key gives it for the row's jsonb
 * image: `::text` agrees with jsonb's `->>` for integer, numeric, text, varchar,
 * uuid and enum values; char(n) keeps its padding in jsonb but not in `::text`.
 */
function keyExpression(record: 'NEW' | 'OLD', spec: CaptureFunctionSpec): string {
  const parts = spec.keyColumns.map((column, i) => {
    const field = `${record}.${pg.escapeIdentifier(column)}`;
    return spec.keyTypes[i] === 'bpchar' ? `(to_jsonb(${field}) #>> '{}')` : `${field}::text`;
  });
  return parts.length === 1 ? parts[0]! : `to_json(ARRAY[${parts.join(', ')}])::text`;
}

function textColumnsStatement(spec: CaptureFunctionSpec): string {
  const pairs = [
    ...spec.textColumns.map((c) => `${pg.escapeLiteral(c)}, NEW.${pg.escapeIdentifier(c)}::text`),
    ...spec.textArrayColumns.map(
      (c) =>
        `${pg.escapeLiteral(c)}, tandem.json_numbers_as_text(to_jsonb(NEW.${pg.escapeIdentifier(c)}))`,
    ),
  ];
  if (pairs.length === 0) return '';
  // jsonb_build_object takes at most 100 arguments: 50 columns per call.
  const calls: string[] = [];
  for (let i = 0; i < pairs.length; i += 50)
    calls.push(`jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`);
  return `\n  new_row := new_row || ${calls.join(' || ')};`;
}

/** On an update that keeps the key: drop unchanged heavy columns from both images before comparing them. */
function heavyColumnsBlock(spec: CaptureFunctionSpec): string {
  if (spec.heavyColumns.length === 0) return '';
  const fields = (record: string) =>
    spec.heavyColumns.map((c) => `${record}.${pg.escapeIdentifier(c)}`);
  const clear = [...fields('NEW'), ...fields('OLD')].map((f) => `${f} := NULL;`).join(' ');
  const names = spec.heavyColumns.map((c) => pg.escapeLiteral(c)).join(', ');
  return `
      -- Binary image equality of the two records: works for json (no "=") and
      -- treats two NULLs as equal. (Without ::record, *= would be applied column by column.)
      IF ROW(${fields('NEW').join(', ')})::record *= ROW(${fields('OLD').join(', ')})::record THEN
        ${clear}
        unchanged := ARRAY[${names}]::text[];
      END IF;`;
}

/** The PL/pgSQL body of the table's trigger function (compared with pg_proc.prosrc to spot a stale one). */
export function captureFunctionBody(spec: CaptureFunctionSpec): string {
  const insert = (key: string, op: string, row: string, unchanged: string) =>
    `INSERT INTO tandem.outbox (txid, table_name, key, op, "row", operation_key, unchanged)
      VALUES (tx, TG_TABLE_NAME, ${key}, ${op}, ${row}, operation_key, ${unchanged});`;
  return `
DECLARE
  operation_key text := nullif(current_setting('tandem.operation_key', true), '');
  tx xid8 := pg_current_xact_id();
  new_row jsonb;
  new_key text;
  old_key text;
  new_op text := lower(TG_OP);
  unchanged text[];
BEGIN
  IF TG_OP = 'DELETE' THEN
    ${insert(keyExpression('OLD', spec), "'delete'", 'NULL', 'NULL')}
    RETURN NULL;
  END IF;
  new_key := ${keyExpression('NEW', spec)};
  IF TG_OP = 'UPDATE' THEN
    old_key := ${keyExpression('OLD', spec)};
    IF old_key <> new_key THEN
      -- A changed primary key is a different row for the mirror.
      ${insert('old_key', "'delete'", 'NULL', 'NULL')}
      new_op := 'insert';
    ELSE${heavyColumnsBlock(spec)}
      -- Binary-image comparison works for every column type (json has no "=").
      IF NEW *= OLD THEN
        RETURN NULL;
      END IF;
    END IF;
  END IF;
  new_row := to_jsonb(NEW);
  IF unchanged IS NOT NULL THEN
    new_row := new_row - unchanged;
  END IF;${textColumnsStatement(spec)}
  ${insert('new_key', 'new_op', 'new_row', 'unchanged')}
  RETURN NULL;
END
`;
}

export function createCaptureFunctionSql(spec: CaptureFunctionSpec): string {
  return `CREATE OR REPLACE FUNCTION ${qualifiedCaptureFunction(spec.table)}()
RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(captureFunctionBody(spec))}`;
}

/** A dollar quote whose tag does not occur in the body (column names are the caller's). */
function dollarQuote(body: string): string {
  let tag = 'capture';
  while (body.includes(`$${tag}$`)) tag += '_';
  return `$${tag}$${body}$${tag}$`;
}
