/**
 * The shape of the mirror's table configuration: which Postgres tables are
 * mirrored, their columns and types, keys, foreign keys and heavy columns.
 * The data itself lives in `tables.ts`, written so that a generator reading the
 * live catalog (`tandem codegen`) can produce the same file.
 */
import { ConfigError } from '../core/errors.js';

/**
 * Postgres column types the value mapping knows (element type for arrays;
 * domains resolved to their base type). `other` is every other base type,
 * mapped by its Postgres text form (docs/value-mapping.md).
 */
export type PgColumnType =
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'uuid'
  | 'date'
  | 'time'
  | 'timetz'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'bytea'
  | 'json'
  | 'jsonb'
  | 'enum'
  | 'other';

export interface ColumnConfig {
  name: string;
  type: PgColumnType;
  nullable: boolean;
  /** One-dimensional Postgres array of `type` (elements may be NULL). */
  array?: boolean;
  /** Postgres enum type name and labels (type `enum` only). */
  enumName?: string;
  enumValues?: readonly string[];
  /** The Postgres base type's name (type `other` only: `inet`, `tsvector`, `money`, …). */
  pgType?: string;
}

/** A single-column foreign key to the referenced table's single-column primary key. */
export interface ForeignKeyConfig {
  column: string;
  references: string;
}

/** Columns kept in a companion Convex table keyed like the main one, written in the same mutation. */
export interface HeavyColumnsConfig {
  table: string;
  columns: readonly string[];
}

export interface TableConfig {
  /** The Postgres schema holding the table (the project config's application schema). */
  schema: string;
  name: string;
  columns: readonly ColumnConfig[];
  primaryKey: readonly string[];
  foreignKeys: readonly ForeignKeyConfig[];
  heavy?: HeavyColumnsConfig;
}

export interface MirrorConfig {
  /** The application's Postgres schema (every table's `schema`). */
  schema: string;
  /** Mirrored tables, parents before children. */
  tables: readonly TableConfig[];
}

/** Convex table holding delete tombstones (one per deleted key, with its version). */
export const TOMBSTONE_TABLE = 'tombstones';
/** The reverse-sync change log and its version counter (convex-kit/tandem/changeLog.ts). */
export const CHANGELOG_TABLE = 'tandem_changelog';
export const CHANGELOG_HEAD_TABLE = 'tandem_changelog_head';
/** Fields the mirror adds to every mirrored document. */
export const KEY_FIELD = 'pgKey';
export const VERSION_FIELD = 'pgVersion';

/** Name of the sibling field holding the resolved Convex Id of a foreign key. */
export function refField(column: string): string {
  return `ref_${column}`;
}

/** Name of the Convex index on a foreign-key column (used to find children waiting for a parent). */
export function foreignKeyIndex(column: string): string {
  return `by_${column}`;
}

/** A Postgres identifier quoted for SQL (the rule of pg's escapeIdentifier; mapping stays free of I/O modules). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Names for a message, as SQL prints them (quote_ident's rule, keywords
 * aside): a plain lower-case name as is, any other double-quoted, joined by
 * dots (`public.film`, `"My App-""2""".entry`), so an awkward name reads
 * unambiguously and can be pasted into psql.
 */
export function qualifiedName(...names: string[]): string {
  return names.map((n) => (/^[a-z_][a-z0-9_]*$/.test(n) ? n : quoteIdentifier(n))).join('.');
}

/** `"schema"."table"` for SQL on the application's table. */
export function qualifiedTable(table: Pick<TableConfig, 'schema' | 'name'>): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export function findTable(config: MirrorConfig, name: string): TableConfig | undefined {
  return config.tables.find((t) => t.name === name);
}

export function requireTable(config: MirrorConfig, name: string): TableConfig {
  const table = findTable(config, name);
  if (!table) throw new ConfigError('tables', `table ${name} is not mirrored`);
  return table;
}

export function heavyColumnSet(table: TableConfig): ReadonlySet<string> {
  return new Set(table.heavy?.columns ?? []);
}

/**
 * The names a mirrored table and its columns must have: they become Convex
 * table and field names and keys in generated code.
 */
export const MIRROR_NAME = /^[a-z][a-z0-9_]*$/;
const COLUMN_NAME = MIRROR_NAME;

/**
 * Rejects configurations the Convex side cannot represent: column names Convex
 * would refuse as top-level fields, names colliding with the mirror's own
 * fields, foreign keys that are not single-column references to a primary key.
 */
export function validateMirrorConfig(config: MirrorConfig): void {
  const names = new Set(config.tables.map((t) => t.name));
  const reserved = new Set([
    TOMBSTONE_TABLE,
    CHANGELOG_TABLE,
    CHANGELOG_HEAD_TABLE,
    ...config.tables.flatMap((t) => (t.heavy ? [t.heavy.table] : [])),
  ]);
  for (const table of config.tables) {
    const where = `tables.${table.name}`;
    if (!COLUMN_NAME.test(table.name))
      throw new ConfigError(where, 'table name must match [a-z][a-z0-9_]*');
    if (reserved.has(table.name))
      throw new ConfigError(where, 'table name is used by the mirror itself');
    const columns = new Set(table.columns.map((c) => c.name));
    for (const column of table.columns) validateColumn(where, column);
    if (columns.size !== table.columns.length) throw new ConfigError(where, 'duplicate column');
    if (table.primaryKey.length === 0) throw new ConfigError(where, 'a primary key is required');
    for (const pk of table.primaryKey) {
      if (!columns.has(pk))
        throw new ConfigError(where, `primary key column ${pk} is not a column`);
    }
    for (const fk of table.foreignKeys) {
      const parent = config.tables.find((t) => t.name === fk.references);
      if (!columns.has(fk.column))
        throw new ConfigError(where, `foreign key column ${fk.column} is not a column`);
      if (!parent || !names.has(fk.references))
        throw new ConfigError(where, `${fk.column} references unmirrored ${fk.references}`);
      if (parent.primaryKey.length !== 1)
        throw new ConfigError(where, `${fk.references} needs a one-column primary key`);
    }
    for (const heavy of table.heavy?.columns ?? []) {
      if (!columns.has(heavy))
        throw new ConfigError(where, `heavy column ${heavy} is not a column`);
      if (table.primaryKey.includes(heavy))
        throw new ConfigError(where, `heavy column ${heavy} is in the primary key`);
    }
  }
}

function validateColumn(where: string, column: ColumnConfig): void {
  if (!COLUMN_NAME.test(column.name))
    throw new ConfigError(`${where}.${column.name}`, 'column name must match [a-z][a-z0-9_]*');
  // pgKey and pgVersion cannot collide (column names are lower case); ref_* could.
  if (column.name.startsWith('ref_')) {
    throw new ConfigError(
      `${where}.${column.name}`,
      'column name collides with the ref_* fields the mirror adds',
    );
  }
  if (column.type === 'enum' && !(column.enumValues && column.enumValues.length > 0)) {
    throw new ConfigError(`${where}.${column.name}`, 'enum column needs enumValues');
  }
}

/**
 * Each mirrored table's key columns: its primary key, or the unique NOT NULL
 * columns the project config names for a table without one.
 */
export function keyColumnsByTable(config: MirrorConfig): Record<string, readonly string[]> {
  return Object.fromEntries(config.tables.map((t) => [t.name, t.primaryKey]));
}
