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
 * captured without reinstalling; only the key, the columns carried as text and the
 * heavy columns are named in the code, and `capture status` reports the table
 * as `stale` when those no longer match the catalog.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { keyTextSql, rowImageSql, textArraySql } from './rowImageSql.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface CaptureFunctionSpec {
  /** The tool schema whose outbox the function writes to, and which holds the function. */
  tool: ToolSchema;
  table: string;
  keyColumns: readonly string[];
  /** Key columns of type timestamptz: their key text is taken in UTC. */
  utcKeyColumns: readonly string[];
  /** Scalar columns carried as their Postgres text (src/mapping/pgTypes.ts). */
  textColumns: readonly string[];
  /** Array columns carried with every element as text. */
  textArrayColumns: readonly string[];
  /** Virtual generated columns: always left out of the image (a trigger sees them as NULL). */
  virtualColumns: readonly string[];
  /** Columns left out of an update's image when unchanged (the table's companion content). */
  heavyColumns: readonly string[];
  /**
   * The table has the `BEFORE UPDATE OF <heavy columns>` statement trigger that
   * marks the transaction (migration 0021): until an update of this
   * transaction lists a heavy column, the heavy columns are known unchanged
   * and are not compared (captureSpec says when this is safe).
   */
  heavyListedMark: boolean;
}

/** The transaction mark set by `capture_heavy_listed` (migration 0021). */
export const HEAVY_LISTED_SETTING = 'tandem.heavy_listed';

const MAX_IDENTIFIER_BYTES = 63;

/** `capture_<table>` in the tool schema; long names end in a hash so two never collide. */
export function captureFunctionName(table: string): string {
  const plain = `capture_${table}`;
  if (Buffer.byteLength(plain) <= MAX_IDENTIFIER_BYTES) return plain;
  const hash = crypto.createHash('sha256').update(table).digest('hex').slice(0, 10);
  const characters = Array.from(plain); // whole code points: never half a surrogate pair
  while (Buffer.byteLength(`${characters.join('')}_${hash}`) > MAX_IDENTIFIER_BYTES)
    characters.pop();
  return `${characters.join('')}_${hash}`;
}

export function qualifiedCaptureFunction(tool: ToolSchema, table: string): string {
  return `${tool.sql}.${pg.escapeIdentifier(captureFunctionName(table))}`;
}

/** The new row's image (see rowImageSql), unchanged heavy columns left out or not. */
function imageExpression(spec: CaptureFunctionSpec, leaveOutHeavy: boolean): string {
  return rowImageSql('NEW', {
    scalarText: spec.textColumns,
    nestedText: spec.textArrayColumns,
    leaveOut: [...spec.virtualColumns, ...(leaveOutHeavy ? spec.heavyColumns : [])],
  });
}

/**
 * One outbox row as a VALUES tuple; everything inline, so each path runs one
 * statement. The table is named literally, not by TG_TABLE_NAME: on a
 * partitioned table the trigger fires on the partition, and the mirror knows
 * the parent.
 */
function outboxValues(
  table: string,
  key: string,
  op: string,
  row: string,
  unchanged: string,
): string {
  return `(pg_current_xact_id(), ${pg.escapeLiteral(table)}, ${key}, '${op}', ${row},
              nullif(current_setting('tandem.operation_key', true), ''), ${unchanged})`;
}

function insertOutbox(tool: ToolSchema, ...rows: string[]): string {
  return `INSERT INTO ${tool.sql}.outbox (txid, table_name, key, op, "row", operation_key, unchanged)
      VALUES ${rows.join(',\n             ')};`;
}

/** Update that kept the key and left the heavy columns as they were: they stay out of the image. */
function unchangedHeavyBlock(spec: CaptureFunctionSpec, newKey: string): string {
  if (spec.heavyColumns.length === 0) return '';
  const fields = (record: string) =>
    spec.heavyColumns.map((c) => `${record}.${pg.escapeIdentifier(c)}`);
  const clear = [...fields('NEW'), ...fields('OLD')].map((f) => `${f} := NULL;`).join(' ');
  const same = `ROW(${fields('NEW').join(', ')})::record *= ROW(${fields('OLD').join(', ')})::record`;
  // CASE, not OR: the comparison (which reads both values out of TOAST) must not run without the mark.
  // Parenthesized: PL/pgSQL ends an IF condition at the first THEN outside parentheses.
  const unchanged = spec.heavyListedMark
    ? `(CASE WHEN current_setting('${HEAVY_LISTED_SETTING}', true) = 'on' THEN ${same} ELSE true END)`
    : same;
  const why = spec.heavyListedMark
    ? `
  -- No update of this transaction has listed a heavy column yet (the statement
  -- trigger of migration 0021 would have set the mark), so they are unchanged;
  -- otherwise compare their binary images (json has no "="; two NULLs are equal).`
    : `
  -- Binary image equality of the two records: works for json (no "=") and treats
  -- two NULLs as equal. (Without ::record, *= would compare column by column.)`;
  return `${why}
  IF ${unchanged} THEN
    ${clear}
    IF NEW *= OLD THEN
      RETURN NULL;
    END IF;
    ${insertOutbox(spec.tool, outboxValues(spec.table, newKey, 'update', imageExpression(spec, true), textArraySql(spec.heavyColumns)))}
    RETURN NULL;
  END IF;`;
}

/**
 * The PL/pgSQL body of the table's trigger function (compared with
 * pg_proc.prosrc to spot a stale one). Each path is one INSERT with every value
 * computed inline: PL/pgSQL prepares each expression it evaluates once per
 * transaction, so variables and separate assignments cost the (usually
 * one-row) writing transaction more than the work itself.
 */
export function captureFunctionBody(spec: CaptureFunctionSpec): string {
  const newKey = keyTextSql('NEW', spec.keyColumns, spec.utcKeyColumns);
  const oldKey = keyTextSql('OLD', spec.keyColumns, spec.utcKeyColumns);
  const full = imageExpression(spec, false);
  const values = (key: string, op: string, row: string) =>
    outboxValues(spec.table, key, op, row, 'NULL');
  return `
BEGIN
  -- Reverse sync (src/reverseSync/) writes what Convex already has: capturing it
  -- would echo the change back to Convex.
  IF current_setting('tandem.reverse_sync', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    ${insertOutbox(spec.tool, values(newKey, 'insert', full))}
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    ${insertOutbox(spec.tool, values(oldKey, 'delete', 'NULL'))}
    RETURN NULL;
  END IF;
  IF ${oldKey} <> ${newKey} THEN
    -- A changed primary key is a different row for the mirror (seq follows VALUES order).
    ${insertOutbox(spec.tool, values(oldKey, 'delete', 'NULL'), values(newKey, 'insert', full))}
    RETURN NULL;
  END IF;${unchangedHeavyBlock(spec, newKey)}
  -- Binary-image comparison works for every column type (json has no "=").
  IF NEW *= OLD THEN
    RETURN NULL;
  END IF;
  ${insertOutbox(spec.tool, values(newKey, 'update', full))}
  RETURN NULL;
END
`;
}

export function createCaptureFunctionSql(spec: CaptureFunctionSpec): string {
  return `CREATE OR REPLACE FUNCTION ${qualifiedCaptureFunction(spec.tool, spec.table)}()
RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(captureFunctionBody(spec))}`;
}

/** A dollar quote whose tag does not occur in the body (column names are the caller's). */
function dollarQuote(body: string): string {
  let tag = 'capture';
  while (body.includes(`$${tag}$`)) tag += '_';
  return `$${tag}$${body}$${tag}$`;
}
