/**
 * The mirror configuration from the live catalog and the project config
 * (discovery, src/discovery/discoverMirror.ts): columns in table order with their mapped types
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
import { columnTypeOf, KEY_TYPES } from '../../mapping/pgTypes.js';
import {
  qualifiedName,
  validateMirrorConfig,
  type ColumnConfig,
  type ForeignKeyConfig,
  type MirrorConfig,
  type TableConfig,
} from '../../mapping/tableConfig.js';
import { planOrder } from '../../plan/index.js';
import type { Catalog, CatalogColumn, CatalogTable } from '../../postgres/catalog/index.js';

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

function columnConfig(catalog: Catalog, column: CatalogColumn): ColumnConfig {
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
  const type = columnTypeOf(column.baseType, false);
  return {
    name: column.name,
    type,
    ...(column.isArray ? { array: true } : {}),
    nullable,
    // Any other base type maps by its Postgres text (docs/value-mapping.md): never refused.
    ...(type === 'other' ? { pgType: column.baseType } : {}),
  };
}

/** A key column must have a key text every path agrees on (src/mapping/pgTypes.ts, KEY_TYPES). */
function checkKeyColumns(catalog: Catalog, table: CatalogTable, key: readonly string[]): void {
  for (const name of key) {
    const column = table.columns.find((c) => c.name === name)!;
    if (column.isArray || (!column.enumValues && !KEY_TYPES.has(column.baseType))) {
      throw new ConfigError(
        qualifiedName(catalog.schema, table.name, name),
        `primary key column of type ${column.declaredType} cannot be mirrored: key columns must be one of ${[...KEY_TYPES].join(', ')} or an enum`,
      );
    }
  }
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
      : qualifiedName(fk.referencedSchema, fk.referencedTable);
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
      qualifiedName(catalog.schema, table.name),
      'a mirrored table needs a primary key',
    );
  }
  checkKeyColumns(catalog, table, table.primaryKey.columns);
  const heavy = config.heavy[table.name];
  return {
    schema: catalog.schema,
    name: table.name,
    // Virtual generated columns are not stored (and NULL in a trigger's row): not mirrored.
    columns: table.columns.filter((c) => !c.virtual).map((c) => columnConfig(catalog, c)),
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
