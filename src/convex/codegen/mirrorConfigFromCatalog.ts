/**
 * The mirror configuration (src/mapping/tables.ts) from the live catalog and
 * the hand-written settings: columns in table order with their mapped types
 * and nullability, the primary key, foreign keys between mirrored tables, and
 * the heavy columns. Tables come in plan order, parents first.
 *
 * A foreign key gets a ref_* field only when Convex can resolve it: one column
 * referencing a mirrored table's one-column primary key. Others (to tables that
 * are not mirrored, composite keys, keys to a unique column) stay plain values
 * and are listed in `plainReferences`, so nothing is dropped silently.
 */
import { ConfigError } from '../../core/errors.js';
import type { ProjectConfig } from '../../config/projectConfig.js';
import {
  validateMirrorConfig,
  type ColumnConfig,
  type ForeignKeyConfig,
  type MirrorConfig,
  type PgColumnType,
  type TableConfig,
} from '../../mapping/tableConfig.js';
import { planOrder } from '../../plan/index.js';
import type { Catalog, CatalogColumn, CatalogTable } from '../../postgres/catalog/index.js';

/** Base types with a value mapping (docs/value-mapping.md); enums are recognized by their labels. */
const MAPPED_TYPES: ReadonlySet<string> = new Set<PgColumnType>([
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'bool',
  'text',
  'varchar',
  'timestamptz',
  'json',
  'jsonb',
]);

export interface PlainReference {
  table: string;
  constraint: string;
  columns: string[];
  references: string;
  why: 'not mirrored' | 'composite key' | 'not the primary key';
}

export interface CatalogMirrorConfig {
  config: MirrorConfig;
  plainReferences: PlainReference[];
}

function columnConfig(catalog: Catalog, table: CatalogTable, column: CatalogColumn): ColumnConfig {
  const nullable = !column.notNull;
  if (column.enumValues) {
    const qualify =
      column.baseTypeSchema !== catalog.schema && column.baseTypeSchema !== 'pg_catalog';
    return {
      name: column.name,
      type: 'enum',
      ...(column.isArray ? { array: true } : {}),
      nullable,
      enumName: qualify ? `${column.baseTypeSchema}.${column.baseType}` : column.baseType,
      enumValues: column.enumValues,
    };
  }
  if (!MAPPED_TYPES.has(column.baseType)) {
    throw new ConfigError(
      `${catalog.schema}.${table.name}.${column.name}`,
      `type ${column.declaredType} has no Convex value mapping (mapped: ${[...MAPPED_TYPES].join(', ')}, enums)`,
    );
  }
  return {
    name: column.name,
    type: column.baseType as PgColumnType,
    ...(column.isArray ? { array: true } : {}),
    nullable,
  };
}

function foreignKeys(
  catalog: Catalog,
  table: CatalogTable,
  mirrored: ReadonlySet<string>,
  plain: PlainReference[],
): ForeignKeyConfig[] {
  const result: ForeignKeyConfig[] = [];
  for (const fk of table.foreignKeys) {
    const inSchema = fk.referencedSchema === catalog.schema;
    const references = inSchema
      ? fk.referencedTable
      : `${fk.referencedSchema}.${fk.referencedTable}`;
    const note = (why: PlainReference['why']) =>
      plain.push({ table: table.name, constraint: fk.name, columns: fk.columns, references, why });
    if (!inSchema || !mirrored.has(fk.referencedTable)) {
      note('not mirrored');
      continue;
    }
    const parent = catalog.tables.find((t) => t.name === fk.referencedTable)!;
    const parentKey = parent.primaryKey?.columns ?? [];
    if (fk.columns.length !== 1) note('composite key');
    else if (parentKey.length !== 1 || parentKey[0] !== fk.referencedColumns[0])
      note('not the primary key');
    else result.push({ column: fk.columns[0]!, references: fk.referencedTable });
  }
  return result;
}

function tableConfig(
  catalog: Catalog,
  table: CatalogTable,
  config: ProjectConfig,
  mirrored: ReadonlySet<string>,
  plain: PlainReference[],
): TableConfig {
  if (!table.primaryKey) {
    throw new ConfigError(
      `${catalog.schema}.${table.name}`,
      'a mirrored table needs a primary key',
    );
  }
  const heavy = config.heavy[table.name];
  return {
    schema: catalog.schema,
    name: table.name,
    columns: table.columns.map((c) => columnConfig(catalog, table, c)),
    primaryKey: table.primaryKey.columns,
    foreignKeys: foreignKeys(catalog, table, mirrored, plain),
    ...(heavy ? { heavy: { table: heavy.table, columns: heavy.columns } } : {}),
  };
}

/**
 * The mirror configuration for a catalog (with key overrides applied:
 * applyKeyOverrides) and a project config. Tables that cannot be keyed are
 * not in it; planScope reports them.
 */
export function mirrorConfigFromCatalog(
  catalog: Catalog,
  projectConfig: ProjectConfig,
): CatalogMirrorConfig {
  const order = planOrder(catalog, projectConfig);
  const mirrored = new Set(order);
  const plainReferences: PlainReference[] = [];
  const config: MirrorConfig = {
    schema: catalog.schema,
    tables: order.map((name) =>
      tableConfig(
        catalog,
        catalog.tables.find((t) => t.name === name)!,
        projectConfig,
        mirrored,
        plainReferences,
      ),
    ),
  };
  validateMirrorConfig(config);
  return { config, plainReferences };
}
