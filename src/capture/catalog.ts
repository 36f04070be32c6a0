/**
 * What the live catalog says about a table capture cares about: does it exist
 * in schema public, its primary key, which columns must travel as text, and the
 * state of its `tandem_capture` trigger. Capture always reads these from the
 * catalog, never from Tandem's own records, because the application's DDL is
 * someone else's.
 */
import type { Queryable } from '../postgres/database.js';

export const CAPTURE_TRIGGER = 'tandem_capture';
export const CAPTURE_FUNCTION = 'tandem.capture_change';

/** pg_trigger.tgenabled: O = fires (origin), A = always, R = replica only, D = disabled. */
export type TriggerEnabled = 'O' | 'A' | 'R' | 'D';

export interface CaptureTrigger {
  enabled: TriggerEnabled;
  /** Arguments the trigger was created with. */
  args: string[];
  /** False when a trigger of our name calls some other function. */
  callsCaptureFunction: boolean;
}

export interface TableCatalog {
  table: string;
  /** pg_class.relkind: r = ordinary table, p = partitioned, v = view, ... */
  relkind: string;
  keyColumns: string[];
  /** Base type names (domains resolved) of the key columns, in key order. */
  keyTypes: string[];
  /** Whether each key column's base type is an enum. */
  keyIsEnum: boolean[];
  /** Columns of int8/numeric type (or arrays of them), carried as text in the row image. */
  textColumns: string[];
  trigger: CaptureTrigger | null;
}

interface CatalogRow {
  table: string;
  relkind: string;
  key_columns: string[] | null;
  key_types: string[] | null;
  key_is_enum: boolean[] | null;
  text_columns: string[] | null;
  tgenabled: TriggerEnabled | null;
  tgargs: Buffer | null;
  calls_capture: boolean | null;
}

const CATALOG_SQL = `
WITH t AS (
  SELECT c.oid, c.relname, c.relkind
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
), cols AS (
  SELECT a.attrelid, a.attnum, a.attname,
         bt.typname AS base_type, bt.typtype = 'e' AS is_enum,
         coalesce(nullif(el.typbasetype, 0), el.oid) AS elem_base
    FROM pg_catalog.pg_attribute a
    JOIN t ON t.oid = a.attrelid
    JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
    JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(nullif(ty.typbasetype, 0), ty.oid)
    LEFT JOIN pg_catalog.pg_type el ON el.oid = bt.typelem AND bt.typcategory = 'A'
   WHERE a.attnum > 0 AND NOT a.attisdropped
), keys AS (
  SELECT i.indrelid, k.attnum, k.ord
    FROM pg_catalog.pg_index i JOIN t ON t.oid = i.indrelid
   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
   WHERE i.indisprimary AND k.ord <= i.indnkeyatts
)
SELECT t.relname AS table, t.relkind::text AS relkind,
       (SELECT array_agg(cols.attname::text ORDER BY keys.ord) FROM keys
          JOIN cols ON cols.attrelid = keys.indrelid AND cols.attnum = keys.attnum
         WHERE keys.indrelid = t.oid) AS key_columns,
       (SELECT array_agg(cols.base_type::text ORDER BY keys.ord) FROM keys
          JOIN cols ON cols.attrelid = keys.indrelid AND cols.attnum = keys.attnum
         WHERE keys.indrelid = t.oid) AS key_types,
       (SELECT array_agg(cols.is_enum ORDER BY keys.ord) FROM keys
          JOIN cols ON cols.attrelid = keys.indrelid AND cols.attnum = keys.attnum
         WHERE keys.indrelid = t.oid) AS key_is_enum,
       (SELECT array_agg(cols.attname::text ORDER BY cols.attnum) FROM cols
         WHERE cols.attrelid = t.oid
           AND (cols.base_type IN ('int8', 'numeric')
                OR cols.elem_base IN ('pg_catalog.int8'::regtype, 'pg_catalog.numeric'::regtype))) AS text_columns,
       tr.tgenabled::text AS tgenabled, tr.tgargs,
       tr.tgfoid = to_regprocedure('tandem.capture_change()') AS calls_capture
  FROM t
  LEFT JOIN pg_catalog.pg_trigger tr ON tr.tgrelid = t.oid AND tr.tgname = $2 AND NOT tr.tgisinternal`;

/** tgargs is the arguments, each terminated by a NUL byte. */
function decodeTriggerArgs(raw: Buffer | null): string[] {
  if (!raw || raw.length === 0) return [];
  const text = raw.toString('utf8');
  return text.slice(0, text.endsWith('\0') ? -1 : undefined).split('\0');
}

/** Catalog facts for each named table that exists in schema public (absent tables are left out). */
export async function readTableCatalog(db: Queryable, tables: readonly string[]): Promise<Map<string, TableCatalog>> {
  const { rows } = await db.query<CatalogRow>(CATALOG_SQL, [tables, CAPTURE_TRIGGER]);
  return new Map(
    rows.map((r) => [
      r.table,
      {
        table: r.table,
        relkind: r.relkind,
        keyColumns: r.key_columns ?? [],
        keyTypes: r.key_types ?? [],
        keyIsEnum: r.key_is_enum ?? [],
        textColumns: r.text_columns ?? [],
        trigger: r.tgenabled
          ? { enabled: r.tgenabled, args: decodeTriggerArgs(r.tgargs), callsCaptureFunction: r.calls_capture === true }
          : null,
      },
    ]),
  );
}

/** Tables in schema public that currently carry a `tandem_capture` trigger. */
export async function tablesWithCaptureTrigger(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_catalog.pg_trigger tr
       JOIN pg_catalog.pg_class c ON c.oid = tr.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND tr.tgname = $1 AND NOT tr.tgisinternal
      ORDER BY 1`,
    [CAPTURE_TRIGGER],
  );
  return rows.map((r) => r.table);
}

/** The trigger arguments tandem.capture_change expects: key count, key columns, text columns. */
export function captureTriggerArgs(catalog: Pick<TableCatalog, 'keyColumns' | 'textColumns'>): string[] {
  return [String(catalog.keyColumns.length), ...catalog.keyColumns, ...catalog.textColumns];
}
