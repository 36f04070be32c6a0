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
import {
  catalogTable,
  readCatalog,
  readRelations,
  tablesWithTrigger,
  type CatalogColumn,
  type RelationTrigger,
} from '../postgres/catalog/index.js';
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

/** A capture trigger's state (its function's name and source among it), as the catalog reader gives it. */
export type CaptureTrigger = RelationTrigger;

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

function travelsAsText(column: CatalogColumn): boolean {
  return carriedAsText(columnTypeOf(column.baseType, column.enumValues !== null));
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
  // The relation's kind, its parent and its trigger: what readCatalog leaves out.
  const relations = await readRelations(db, options.schema, tables, captureTriggerName(options.tool));
  // Columns and keys come from the one catalog reader the plan and codegen use,
  // so capture types a column exactly as the mapping does (domains over
  // domains included).
  const catalog = await readCatalog(db, options.schema);
  return new Map(
    relations.map((r) => {
      const table = catalogTable(catalog, r.name);
      const stored = (table?.columns ?? []).filter((c) => !c.virtual);
      const keyColumns = [...(options.keys?.[r.name] ?? table?.primaryKey?.columns ?? [])];
      const keyFacts = keyColumns.map((k) => stored.find((c) => c.name === k));
      const text = stored.filter(travelsAsText);
      return [
        r.name,
        {
          table: r.name,
          relkind: r.relkind,
          partitionOf: r.partitionOf,
          keyColumns,
          keyTypes: keyFacts.map((c) => c?.baseType ?? 'unknown'),
          keyIsEnum: keyFacts.map((c) => c?.enumValues != null),
          columns: stored.map((c) => c.name),
          virtualColumns: (table?.columns ?? []).filter((c) => c.virtual).map((c) => c.name),
          domainColumns: stored.filter((c) => c.domain !== null).map((c) => c.name),
          textColumns: text.map((c) => c.name),
          textArrayColumns: text.filter((c) => c.isArray).map((c) => c.name),
          trigger: r.trigger,
        },
      ];
    }),
  );
}

/** Tables of the schema that currently carry this tool schema's capture trigger. */
export async function tablesWithCaptureTrigger(db: Queryable, tool: ToolSchema, schema: string): Promise<string[]> {
  return tablesWithTrigger(db, schema, captureTriggerName(tool));
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
