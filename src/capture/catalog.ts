/**
 * What the live catalog says about a table capture cares about: does it exist
 * in the application schema, its columns and primary key, which columns must travel as
 * text, and the state of its `tandem_capture` trigger and trigger function. Capture always reads these from the
 * catalog, never from Tandem's own records, because the application's DDL is
 * someone else's.
 */
import { JSON_IMAGE_BASE_TYPES } from '../mapping/pgTypes.js';
import type { Queryable } from '../postgres/database.js';
import {
  captureFunctionBody,
  captureFunctionName,
  type CaptureFunctionSpec,
} from './captureFunction.js';

export const CAPTURE_TRIGGER = 'tandem_capture';

/** pg_trigger.tgenabled: O = fires (origin), A = always, R = replica only, D = disabled. */
export type TriggerEnabled = 'O' | 'A' | 'R' | 'D';

export interface CaptureTrigger {
  enabled: TriggerEnabled;
  /** Arguments the trigger was created with (the generated functions take none). */
  args: string[];
  /** Schema-qualified name of the function the trigger calls, unquoted (`tandem.capture_story`). */
  functionName: string;
  /** That function's source (pg_proc.prosrc). */
  functionSource: string;
}

export interface TableCatalog {
  table: string;
  /** pg_class.relkind: r = ordinary table, p = partitioned, v = view, ... */
  relkind: string;
  /** The partitioned table this one is a partition of (its parent's trigger covers it), or null. */
  partitionOf: string | null;
  keyColumns: string[];
  /** Base type names (domains resolved) of the key columns, in key order. */
  keyTypes: string[];
  /** Whether each key column's base type is an enum. */
  keyIsEnum: boolean[];
  /** Every stored column, in table order. */
  columns: string[];
  /** Virtual generated columns (PostgreSQL 18+): NULL in a trigger's row, so left out of every image. */
  virtualColumns: string[];
  /** Columns whose type is a domain (a NOT NULL domain cannot be set to NULL, even in a trigger's copy of the row). */
  domainColumns: string[];
  /** Columns carried as their Postgres text in the row image (src/mapping/pgTypes.ts), arrays included. */
  textColumns: string[];
  /** The subset of textColumns that are arrays. */
  textArrayColumns: string[];
  trigger: CaptureTrigger | null;
}

interface CatalogRow {
  table: string;
  relkind: string;
  partition_of: string | null;
  key_columns: string[] | null;
  key_types: string[] | null;
  key_is_enum: boolean[] | null;
  columns: string[] | null;
  virtual_columns: string[] | null;
  domain_columns: string[] | null;
  text_columns: string[] | null;
  text_array_columns: string[] | null;
  tgenabled: TriggerEnabled | null;
  tgargs: Buffer | null;
  function_name: string | null;
  function_source: string | null;
}

const CATALOG_SQL = `
WITH t AS (
  SELECT c.oid, c.relname, c.relkind, c.relispartition
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $4 AND c.relname = ANY($1::text[])
), cols AS (
  SELECT a.attrelid, a.attnum, a.attname,
         bt.typname AS base_type, bt.typtype = 'e' AS is_enum, bt.typcategory = 'A' AS is_array,
         ty.typtype = 'd' AS is_domain,
         -- The value's own type: the element's base type for arrays.
         coalesce(eb.typname, bt.typname) AS value_type,
         coalesce(eb.typtype, bt.typtype) = 'e' AS value_is_enum
    FROM pg_catalog.pg_attribute a
    JOIN t ON t.oid = a.attrelid
    JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
    JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(nullif(ty.typbasetype, 0), ty.oid)
    LEFT JOIN pg_catalog.pg_type el ON el.oid = bt.typelem AND bt.typcategory = 'A'
    LEFT JOIN pg_catalog.pg_type eb ON eb.oid = coalesce(nullif(el.typbasetype, 0), el.oid)
   WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> 'v'
), texts AS (
  SELECT cols.*, NOT (cols.value_is_enum OR cols.value_type = ANY($5::text[])) AS as_text FROM cols
), keys AS (
  SELECT i.indrelid, k.attnum, k.ord
    FROM pg_catalog.pg_index i JOIN t ON t.oid = i.indrelid
   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
   WHERE i.indisprimary AND k.ord <= i.indnkeyatts AND NOT ($3::jsonb ? t.relname::text)
  UNION ALL
  -- A key the project config names for a table without a primary key (discovery checked it).
  SELECT t.oid, a.attnum, o.ord
    FROM t CROSS JOIN LATERAL jsonb_array_elements_text($3::jsonb -> t.relname::text) WITH ORDINALITY AS o(name, ord)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attname = o.name
)
SELECT t.relname AS table, t.relkind::text AS relkind,
       (SELECT pc.relname FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
         WHERE i.inhrelid = t.oid AND t.relispartition) AS partition_of,
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
         WHERE cols.attrelid = t.oid) AS columns,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attgenerated = 'v') AS virtual_columns,
       (SELECT array_agg(cols.attname::text ORDER BY cols.attnum) FROM cols
         WHERE cols.attrelid = t.oid AND cols.is_domain) AS domain_columns,
       (SELECT array_agg(texts.attname::text ORDER BY texts.attnum) FROM texts
         WHERE texts.attrelid = t.oid AND texts.as_text) AS text_columns,
       (SELECT array_agg(texts.attname::text ORDER BY texts.attnum) FROM texts
         WHERE texts.attrelid = t.oid AND texts.as_text AND texts.is_array) AS text_array_columns,
       tr.tgenabled::text AS tgenabled, tr.tgargs,
       pn.nspname || '.' || p.proname AS function_name, p.prosrc AS function_source
  FROM t
  LEFT JOIN pg_catalog.pg_trigger tr ON tr.tgrelid = t.oid AND tr.tgname = $2 AND NOT tr.tgisinternal
        AND tr.tgparentid = 0
  LEFT JOIN pg_catalog.pg_proc p ON p.oid = tr.tgfoid
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace`;

/** tgargs is the arguments, each terminated by a NUL byte. */
function decodeTriggerArgs(raw: Buffer | null): string[] {
  if (!raw || raw.length === 0) return [];
  const text = raw.toString('utf8');
  return text.slice(0, text.endsWith('\0') ? -1 : undefined).split('\0');
}

/**
 * Catalog facts for each named table that exists in the schema (absent
 * tables are left out). `keys` gives the key of tables the mirror keys by
 * other columns than a primary key (the project config's keys).
 */
export async function readTableCatalog(
  db: Queryable,
  tables: readonly string[],
  options: { schema: string; keys?: Readonly<Record<string, readonly string[]>> },
): Promise<Map<string, TableCatalog>> {
  const { rows } = await db.query<CatalogRow>(CATALOG_SQL, [
    tables,
    CAPTURE_TRIGGER,
    JSON.stringify(options.keys ?? {}),
    options.schema,
    JSON_IMAGE_BASE_TYPES,
  ]);
  return new Map(
    rows.map((r) => [
      r.table,
      {
        table: r.table,
        relkind: r.relkind,
        partitionOf: r.partition_of,
        keyColumns: r.key_columns ?? [],
        keyTypes: r.key_types ?? [],
        keyIsEnum: r.key_is_enum ?? [],
        columns: r.columns ?? [],
        virtualColumns: r.virtual_columns ?? [],
        domainColumns: r.domain_columns ?? [],
        textColumns: r.text_columns ?? [],
        textArrayColumns: r.text_array_columns ?? [],
        trigger: r.tgenabled
          ? {
              enabled: r.tgenabled,
              args: decodeTriggerArgs(r.tgargs),
              functionName: r.function_name ?? '',
              functionSource: r.function_source ?? '',
            }
          : null,
      },
    ]),
  );
}

/** Tables of the schema that currently carry a `tandem_capture` trigger. */
export async function tablesWithCaptureTrigger(db: Queryable, schema: string): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_catalog.pg_trigger tr
       JOIN pg_catalog.pg_class c ON c.oid = tr.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $2 AND tr.tgname = $1 AND NOT tr.tgisinternal
        -- A partition's clone of its parent's trigger is the parent's capture, not its own.
        AND tr.tgparentid = 0
      ORDER BY 1`,
    [CAPTURE_TRIGGER, schema],
  );
  return rows.map((r) => r.table);
}

/**
 * What the table's generated trigger function is made from. Heavy columns are
 * the mirror configuration's companion columns that the table really has (one
 * missing from the catalog is simply not left out). A key column or one of a
 * domain type is never left out: the function clears unchanged heavy columns
 * in its copy of the row, and a NOT NULL domain would refuse that, failing the
 * application's write.
 */
export function captureSpec(
  catalog: TableCatalog,
  heavyColumns: readonly string[],
): CaptureFunctionSpec {
  const scalarText = catalog.textColumns.filter((c) => !catalog.textArrayColumns.includes(c));
  return {
    table: catalog.table,
    keyColumns: catalog.keyColumns,
    utcKeyColumns: catalog.keyColumns.filter((_, i) => catalog.keyTypes[i] === 'timestamptz'),
    textColumns: scalarText,
    textArrayColumns: catalog.textArrayColumns,
    virtualColumns: catalog.virtualColumns,
    heavyColumns: heavyColumns.filter(
      (c) =>
        catalog.columns.includes(c) &&
        !catalog.keyColumns.includes(c) &&
        !catalog.domainColumns.includes(c),
    ),
  };
}

/** True when the trigger calls this table's generated function with the source the catalog now calls for. */
export function triggerIsCurrent(catalog: TableCatalog, heavyColumns: readonly string[]): boolean {
  const trigger = catalog.trigger;
  return (
    trigger !== null &&
    trigger.functionName === `tandem.${captureFunctionName(catalog.table)}` &&
    trigger.args.length === 0 &&
    trigger.functionSource === captureFunctionBody(captureSpec(catalog, heavyColumns))
  );
}

/** Whether a trigger of our name calls one of Tandem's capture functions (current or an older version). */
export function callsCaptureFunction(trigger: CaptureTrigger): boolean {
  return trigger.functionName.startsWith('tandem.capture_');
}
