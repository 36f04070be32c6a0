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

/** The `BEFORE UPDATE OF <heavy columns>` statement trigger that marks the transaction (migration 0021). */
export function heavyListedTriggerName(tool: ToolSchema): string {
  return toolScopedName(tool, 'tandem_capture_heavy');
}

/** The heavy-listed statement trigger as the catalog has it. */
export interface HeavyListedTrigger {
  enabled: string;
  /** Schema-qualified function name, unquoted. */
  functionName: string;
  /** pg_trigger.tgtype: 18 is BEFORE UPDATE, per statement. */
  type: number;
  /** The UPDATE OF columns, sorted. */
  columns: string[];
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
  /** Generated columns (stored or virtual). */
  generatedColumns: string[];
  /** The table inherits from another (a statement on the parent fires no statement trigger of the child). */
  inherits: boolean;
  /** BEFORE UPDATE row triggers, enabled or not, other than freeze's: they can change a column the UPDATE does not list. */
  beforeUpdateRowTriggers: string[];
  trigger: CaptureTrigger | null;
  heavyListedTrigger: HeavyListedTrigger | null;
}

interface UpdateFactsRow {
  table: string;
  inherits: boolean;
  before_update_row_triggers: string[];
  mark_enabled: string | null;
  mark_function: string | null;
  mark_type: number | null;
  mark_columns: string[] | null;
}

/** What decides whether (and how) the heavy-listed statement trigger can stand in for comparing heavy columns. */
async function readUpdateFacts(
  db: Queryable,
  schema: string,
  tables: readonly string[],
  tool: ToolSchema,
): Promise<Map<string, UpdateFactsRow>> {
  const { rows } = await db.query<UpdateFactsRow>(
    `SELECT c.relname AS table,
            EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) AS inherits,
            ARRAY(SELECT tr.tgname::text FROM pg_catalog.pg_trigger tr
                    JOIN pg_catalog.pg_proc p ON p.oid = tr.tgfoid
                    JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
                   WHERE tr.tgrelid = c.oid AND NOT tr.tgisinternal
                     AND tr.tgtype::int & 19 = 19 -- ROW (1) | BEFORE (2) | UPDATE (16)
                     -- Freeze's trigger only refuses the write; it never changes a column.
                     AND NOT (pn.nspname = $3 AND p.proname = 'reject_frozen_write')
                   ORDER BY 1) AS before_update_row_triggers,
            m.tgenabled::text AS mark_enabled, mp.nspname || '.' || mf.proname AS mark_function,
            m.tgtype::int AS mark_type,
            (SELECT array_agg(a.attname::text ORDER BY a.attname)
               FROM unnest(m.tgattr::int2[]) AS k(attnum)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS mark_columns
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_trigger m ON m.tgrelid = c.oid AND m.tgname = $4 AND NOT m.tgisinternal
       LEFT JOIN pg_catalog.pg_proc mf ON mf.oid = m.tgfoid
       LEFT JOIN pg_catalog.pg_namespace mp ON mp.oid = mf.pronamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
    [schema, tables, tool.name, heavyListedTriggerName(tool)],
  );
  return new Map(rows.map((r) => [r.table, r]));
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
  const updates = await readUpdateFacts(db, options.schema, tables, options.tool);
  return new Map(
    relations.map((r) => {
      const table = catalogTable(catalog, r.name);
      const stored = (table?.columns ?? []).filter((c) => !c.virtual);
      const keyColumns = [...(options.keys?.[r.name] ?? table?.primaryKey?.columns ?? [])];
      const keyFacts = keyColumns.map((k) => stored.find((c) => c.name === k));
      const text = stored.filter(travelsAsText);
      const update = updates.get(r.name);
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
          generatedColumns: (table?.columns ?? []).filter((c) => c.generated).map((c) => c.name),
          inherits: update?.inherits ?? false,
          beforeUpdateRowTriggers: update?.before_update_row_triggers ?? [],
          trigger: r.trigger,
          heavyListedTrigger: update?.mark_enabled
            ? {
                enabled: update.mark_enabled,
                functionName: update.mark_function ?? '',
                type: update.mark_type ?? 0,
                columns: update.mark_columns ?? [],
              }
            : null,
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
  const heavy = heavyColumns.filter(
    (c) =>
      catalog.columns.includes(c) &&
      !catalog.keyColumns.includes(c) &&
      !catalog.domainColumns.includes(c),
  );
  return {
    tool,
    table: catalog.table,
    keyColumns: catalog.keyColumns,
    utcKeyColumns: catalog.keyColumns.filter((_, i) => catalog.keyTypes[i] === 'timestamptz'),
    textColumns: scalarText,
    textArrayColumns: catalog.textArrayColumns,
    virtualColumns: catalog.virtualColumns,
    heavyColumns: heavy,
    heavyListedMark: heavyListedMarkApplies(catalog, heavy),
  };
}

/**
 * Whether "no UPDATE of this transaction listed a heavy column" proves the
 * heavy columns unchanged. Not when a BEFORE UPDATE row trigger could change
 * one without its being listed; not for a partitioned table, a partition or
 * an inheritance child, whose rows an UPDATE of another table (the parent or
 * a partition) can change without firing this table's statement trigger; not
 * for a generated heavy column. Those tables keep comparing every update.
 */
function heavyListedMarkApplies(catalog: TableCatalog, heavy: readonly string[]): boolean {
  return (
    heavy.length > 0 &&
    catalog.relkind === 'r' &&
    catalog.partitionOf === null &&
    !catalog.inherits &&
    catalog.beforeUpdateRowTriggers.length === 0 &&
    !heavy.some((c) => catalog.generatedColumns.includes(c))
  );
}

/** pg_trigger.tgtype of a BEFORE UPDATE statement trigger: BEFORE (2) | UPDATE (16). */
const BEFORE_UPDATE_STATEMENT = 18;

/** The heavy-listed trigger is there, enabled and marking updates of exactly the heavy columns, when the spec needs it; absent otherwise. */
function heavyListedTriggerIsCurrent(catalog: TableCatalog, spec: CaptureFunctionSpec): boolean {
  const mark = catalog.heavyListedTrigger;
  if (!spec.heavyListedMark) return mark === null;
  return (
    mark !== null &&
    (mark.enabled === 'O' || mark.enabled === 'A') &&
    mark.functionName === `${spec.tool.name}.capture_heavy_listed` &&
    mark.type === BEFORE_UPDATE_STATEMENT &&
    [...mark.columns].sort().join('\0') === [...spec.heavyColumns].sort().join('\0')
  );
}

/** True when the trigger calls this table's generated function with the source the catalog now calls for. */
export function triggerIsCurrent(catalog: TableCatalog, tool: ToolSchema, heavyColumns: readonly string[]): boolean {
  const trigger = catalog.trigger;
  const spec = captureSpec(catalog, tool, heavyColumns);
  return (
    trigger !== null &&
    trigger.functionName === `${tool.name}.${captureFunctionName(catalog.table)}` &&
    trigger.args.length === 0 &&
    trigger.functionSource === captureFunctionBody(spec) &&
    heavyListedTriggerIsCurrent(catalog, spec)
  );
}

/** Whether a trigger of our name calls one of Tandem's capture functions (current or an older version). */
export function callsCaptureFunction(trigger: CaptureTrigger, tool: ToolSchema): boolean {
  return trigger.functionName.startsWith(`${tool.name}.capture_`);
}
