/**
 * What the live catalog says about a table capture cares about: does it exist
 * in the application schema, its columns and primary key, which columns must travel as
 * text, and the state of its capture trigger and trigger function. Capture always reads these from the
 * catalog, never from Tandem's own records, because the application's DDL is
 * someone else's.
 */
import { carriedAsText, columnTypeOf } from '../mapping/pgTypes.js';
import type { Queryable } from '../postgres/database.js';
import { toolScopedName, type ToolSchema } from '../core/toolSchema.js';
import { catalogTable, readCatalog, type CatalogColumn } from '../postgres/catalog/index.js';
import {
  captureFunctionBody,
  captureFunctionName,
  type CaptureFunctionSpec,
} from './captureFunction.js';

/**
 * The capture trigger's name on application tables: `tandem_capture` for the
 * default tool schema, suffixed per tool schema otherwise, so two tool schemas
 * never replace each other's trigger.
 */
export function captureTriggerName(tool: ToolSchema): string {
  return toolScopedName(tool, 'tandem_capture');
}

/** pg_trigger.tgenabled: O = fires (origin), A = always, R = replica only, D = disabled. */
export type TriggerEnabled = 'O' | 'A' | 'R' | 'D';

export interface CaptureTrigger {
  enabled: TriggerEnabled;
  /** Arguments the trigger was created with (the generated functions take none). */
  args: string[];
  /** Schema-qualified name of the function the trigger calls, unquoted (`tandem.capture_story` in the default tool schema). */
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

interface RelationRow {
  table: string;
  relkind: string;
  partition_of: string | null;
  tgenabled: TriggerEnabled | null;
  tgargs: Buffer | null;
  function_name: string | null;
  function_source: string | null;
}

/**
 * What the shared catalog reader leaves out: each named relation's kind (so a
 * view or a partition is refused by name rather than reported missing), its
 * partitioned parent, and the state of its capture trigger.
 */
const RELATIONS_SQL = `
SELECT c.relname AS table, c.relkind::text AS relkind,
       (SELECT pc.relname FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
         WHERE i.inhrelid = c.oid AND c.relispartition) AS partition_of,
       tr.tgenabled::text AS tgenabled, tr.tgargs,
       pn.nspname || '.' || p.proname AS function_name, p.prosrc AS function_source
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_trigger tr ON tr.tgrelid = c.oid AND tr.tgname = $2 AND NOT tr.tgisinternal
        AND tr.tgparentid = 0
  LEFT JOIN pg_catalog.pg_proc p ON p.oid = tr.tgfoid
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
 WHERE n.nspname = $3 AND c.relname = ANY($1::text[])`;

function travelsAsText(column: CatalogColumn): boolean {
  return carriedAsText(columnTypeOf(column.baseType, column.enumValues !== null));
}

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
  options: { schema: string; tool: ToolSchema; keys?: Readonly<Record<string, readonly string[]>> },
): Promise<Map<string, TableCatalog>> {
  const { rows } = await db.query<RelationRow>(RELATIONS_SQL, [
    tables,
    captureTriggerName(options.tool),
    options.schema,
  ]);
  // Columns and keys come from the one catalog reader the plan and codegen use,
  // so capture types a column exactly as the mapping does (domains over
  // domains included).
  const catalog = await readCatalog(db, options.schema);
  return new Map(
    rows.map((r) => {
      const table = catalogTable(catalog, r.table);
      const stored = (table?.columns ?? []).filter((c) => !c.virtual);
      const keyColumns = [...(options.keys?.[r.table] ?? table?.primaryKey?.columns ?? [])];
      const keyFacts = keyColumns.map((k) => stored.find((c) => c.name === k));
      const text = stored.filter(travelsAsText);
      return [
        r.table,
        {
          table: r.table,
          relkind: r.relkind,
          partitionOf: r.partition_of,
          keyColumns,
          keyTypes: keyFacts.map((c) => c?.baseType ?? 'unknown'),
          keyIsEnum: keyFacts.map((c) => c?.enumValues != null),
          columns: stored.map((c) => c.name),
          virtualColumns: (table?.columns ?? []).filter((c) => c.virtual).map((c) => c.name),
          domainColumns: stored.filter((c) => c.domain !== null).map((c) => c.name),
          textColumns: text.map((c) => c.name),
          textArrayColumns: text.filter((c) => c.isArray).map((c) => c.name),
          trigger: r.tgenabled
            ? {
                enabled: r.tgenabled,
                args: decodeTriggerArgs(r.tgargs),
                functionName: r.function_name ?? '',
                functionSource: r.function_source ?? '',
              }
            : null,
        },
      ];
    }),
  );
}

/** Tables of the schema that currently carry this tool schema's capture trigger. */
export async function tablesWithCaptureTrigger(db: Queryable, tool: ToolSchema, schema: string): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_catalog.pg_trigger tr
       JOIN pg_catalog.pg_class c ON c.oid = tr.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $2 AND tr.tgname = $1 AND NOT tr.tgisinternal
        -- A partition's clone of its parent's trigger is the parent's capture, not its own.
        AND tr.tgparentid = 0
      ORDER BY 1`,
    [captureTriggerName(tool), schema],
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
  tool: ToolSchema,
  heavyColumns: readonly string[],
): CaptureFunctionSpec {
  const scalarText = catalog.textColumns.filter((c) => !catalog.textArrayColumns.includes(c));
  return {
    tool,
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
export function triggerIsCurrent(catalog: TableCatalog, tool: ToolSchema, heavyColumns: readonly string[]): boolean {
  const trigger = catalog.trigger;
  return (
    trigger !== null &&
    trigger.functionName === `${tool.name}.${captureFunctionName(catalog.table)}` &&
    trigger.args.length === 0 &&
    trigger.functionSource === captureFunctionBody(captureSpec(catalog, tool, heavyColumns))
  );
}

/** Whether a trigger of our name calls one of Tandem's capture functions (current or an older version). */
export function callsCaptureFunction(trigger: CaptureTrigger, tool: ToolSchema): boolean {
  return trigger.functionName.startsWith(`${tool.name}.capture_`);
}
