/**
 * Which tables a plan covers: the tables the config includes (or every table
 * of the application schema but the excluded and legacy ones), optionally
 * narrowed by `--tables`. A table Tandem cannot key — no primary key and no
 * key named in the config — or whose table or column names Convex cannot take
 * is skipped and reported with the reason, never half-mirrored; naming such a
 * table in `include` is an error. Excluded and legacy tables are refused
 * outright, so they can never end up in a plan.
 */
import { neverMirrored, type ProjectConfig } from '../config/projectConfig.js';
import { ConfigError, InvalidInputError } from '../core/errors.js';
import { MIRROR_NAME, qualifiedName } from '../mapping/tableConfig.js';
import type { Catalog, CatalogTable } from '../postgres/catalog/index.js';

export interface SkippedTable {
  table: string;
  reason: string;
}

export interface PlanScope {
  /** Every mirrored table, in the config's preferred order (else by name). */
  mirrored: string[];
  /** The tables this plan orders (mirrored, or the --tables subset). */
  planned: string[];
  notMirrored: Set<string>;
  /** Tables of the schema that would be mirrored but cannot be keyed. */
  skipped: SkippedTable[];
}

function configKey(config: ProjectConfig, key: string): string {
  return `${config.file ?? 'config'}: ${key}`;
}

/** Names in the config (`configKey`) or on the command line (`--tables`) must be tables of the schema. */
function requireTablesExist(
  catalog: Catalog,
  tables: readonly string[],
  where: { configKey: string } | { option: string },
): void {
  const present = new Set(catalog.tables.map((t) => t.name));
  for (const table of tables) {
    if (present.has(table)) continue;
    const message = `table ${qualifiedName(catalog.schema, table)} does not exist (or is not an ordinary or partitioned table)`;
    if ('configKey' in where) throw new ConfigError(where.configKey, message);
    throw new InvalidInputError(where.option, message);
  }
}

export const NO_KEY_REASON = 'no primary key';

/**
 * A key column that is an array: the capture trigger, the backfill and the
 * key lookups of parity and repair each render an array key differently
 * (JSON text, Postgres's `{…}` text, a JS join), so such a key would name one
 * row several ways, and repair would delete rows that exist. Refused until an
 * array key has one rendering everywhere.
 */
function arrayKeyColumn(table: CatalogTable, columns: readonly string[]): string | null {
  return columns.find((c) => table.columns.find((col) => col.name === c)?.isArray) ?? null;
}

/**
 * Why a table's names cannot be carried to Convex, or null when they can. A
 * table or column name outside [a-z][a-z0-9_]* (capitals, a space, a dash, a
 * quote) is fine in Postgres, where Tandem always quotes it, but not as a
 * Convex table or field name: the table is skipped, never half-mirrored.
 */
function unnameable(table: CatalogTable): string | null {
  if (!MIRROR_NAME.test(table.name))
    return `table name ${JSON.stringify(table.name)} is not a Convex table name ([a-z][a-z0-9_]*): rename the table, or list it in exclude`;
  // Virtual generated columns are not mirrored (mirrorConfigFromCatalog), so their names do not matter.
  const column = table.columns.find((c) => !c.virtual && !MIRROR_NAME.test(c.name));
  if (column)
    return `column name ${JSON.stringify(column.name)} is not a Convex field name ([a-z][a-z0-9_]*): rename the column, or list the table in exclude`;
  return null;
}

/** Why a table cannot be mirrored (a name Convex cannot take, no primary key, or an array in it), or null when it can. */
function whyNotMirrorable(table: CatalogTable): string | null {
  const names = unnameable(table);
  if (names !== null) return names;
  if (table.primaryKey === null) return skipReason(table.name);
  const array = arrayKeyColumn(table, table.primaryKey.columns);
  if (array === null) return null;
  const declared = table.columns.find((c) => c.name === array)!.declaredType;
  return `primary key column ${array} is an array (${declared}); Tandem keys rows by scalar columns only`;
}

function notMirrorable(table: CatalogTable): boolean {
  return whyNotMirrorable(table) !== null;
}

/**
 * The catalog with the config's key overrides in place of the missing primary
 * keys. Each override must name NOT NULL columns that a unique constraint or
 * unique index (without predicate or expressions) covers exactly: only then
 * does it identify a row the way a primary key would.
 */
export function applyKeyOverrides(catalog: Catalog, config: ProjectConfig): Catalog {
  const overrides = Object.entries(config.keys);
  if (overrides.length === 0) return catalog;
  const tables = new Map(catalog.tables.map((t) => [t.name, t]));
  for (const [name, columns] of overrides) {
    const where = configKey(config, `keys.${name}`);
    const table = tables.get(name);
    if (!table) throw new ConfigError(where, `table ${qualifiedName(catalog.schema, name)} does not exist`);
    if (table.primaryKey)
      throw new ConfigError(
        where,
        `${name} has a primary key (${table.primaryKey.columns.join(', ')}); keys is for tables without one`,
      );
    for (const column of columns) {
      const found = table.columns.find((c) => c.name === column);
      if (!found) throw new ConfigError(where, `column ${name}.${column} does not exist`);
      if (!found.notNull)
        throw new ConfigError(where, `column ${name}.${column} is nullable; a key column must be NOT NULL`);
      if (found.isArray)
        throw new ConfigError(where, `column ${name}.${column} is an array (${found.declaredType}); a key column must be scalar`);
    }
    const wanted = [...columns].sort().join('\0');
    const unique = table.uniques.find((u) => [...u.columns].sort().join('\0') === wanted);
    if (!unique)
      throw new ConfigError(
        where,
        `no unique index or constraint on ${name} covers exactly (${columns.join(', ')})`,
      );
    tables.set(name, { ...table, primaryKey: { name: unique.name, columns: [...columns] } });
  }
  return { ...catalog, tables: catalog.tables.map((t) => tables.get(t.name)!) };
}

function skipReason(table: string): string {
  return `${NO_KEY_REASON}: name the columns of a unique NOT NULL index in keys.${table} to mirror it`;
}

/** The plan's tables; `catalog` must already carry the key overrides (applyKeyOverrides). */
export function planScope(
  catalog: Catalog,
  config: ProjectConfig,
  only?: readonly string[],
): PlanScope {
  if (catalog.schemaMissing)
    throw new ConfigError(
      configKey(config, 'schema'),
      `schema ${qualifiedName(catalog.schema)} does not exist in the database`,
    );
  const notMirrored = neverMirrored(config);
  const byName = new Map(catalog.tables.map((t) => [t.name, t]));
  requireTablesExist(catalog, Object.keys(config.heavy), { configKey: configKey(config, 'heavy') });
  for (const [table, heavy] of Object.entries(config.heavy)) {
    const found = byName.get(table)!;
    for (const column of heavy.columns) {
      const where = configKey(config, `heavy.${table}.columns`);
      if (!found.columns.some((c) => c.name === column))
        throw new ConfigError(where, `column ${table}.${column} does not exist`);
      if (found.primaryKey?.columns.includes(column))
        throw new ConfigError(where, `column ${table}.${column} is in the key; a heavy column cannot be`);
    }
  }
  let candidates: string[];
  if (config.include) {
    requireTablesExist(catalog, config.include, { configKey: configKey(config, 'include') });
    for (const table of config.include) {
      const reason = whyNotMirrorable(byName.get(table)!);
      if (reason !== null) throw new ConfigError(configKey(config, 'include'), `${table}: ${reason}`);
    }
    candidates = config.include;
  } else {
    candidates = catalog.tables.map((t) => t.name).filter((t) => !notMirrored.has(t));
  }
  const skipped = candidates
    .filter((t) => notMirrorable(byName.get(t)!))
    .map((table) => ({ table, reason: whyNotMirrorable(byName.get(table)!)! }));
  const mirrored = candidates.filter((t) => !notMirrorable(byName.get(t)!));
  for (const table of Object.keys(config.heavy)) {
    if (!mirrored.includes(table))
      throw new ConfigError(configKey(config, `heavy.${table}`), 'not a mirrored table');
  }
  if (!only || only.length === 0) return { mirrored, planned: mirrored, notMirrored, skipped };
  const wanted = new Set(only);
  for (const table of wanted) {
    if (notMirrored.has(table)) throw new InvalidInputError('tables', `${table} is never mirrored`);
    if (!mirrored.includes(table)) {
      requireTablesExist(catalog, [table], { option: 'tables' });
      const skip = skipped.find((s) => s.table === table);
      throw new InvalidInputError(
        'tables',
        skip ? `${table}: ${skip.reason}` : `${table} is not one of the mirrored tables`,
      );
    }
  }
  return { mirrored, planned: mirrored.filter((t) => wanted.has(t)), notMirrored, skipped };
}
