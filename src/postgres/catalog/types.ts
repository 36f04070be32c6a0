/**
 * What the live catalog says about an application's tables: the facts the
 * migration plan and the Convex schema generator need, read from pg_catalog so
 * that they hold for a database created by anyone's DDL.
 */

/** pg_constraint.confdeltype / confupdtype, spelled as in DDL. */
export type ForeignKeyAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export interface CatalogColumn {
  name: string;
  /** pg_attribute.attnum: the column's place in the table. */
  position: number;
  /** The declared type as Postgres prints it (`character varying(20)[]`, `gender_enum`). */
  declaredType: string;
  /**
   * Name of the underlying type with domains resolved; for arrays the element's
   * (`varchar` for `varchar(20)[]`). Internal names: int4, float8, timestamptz, …
   */
  baseType: string;
  /** Schema of baseType (an enum may live outside the table's schema). */
  baseTypeSchema: string;
  isArray: boolean;
  /** Labels in sort order when baseType is an enum, else null. */
  enumValues: string[] | null;
  /** Declared length of varchar / char columns (element length for arrays), else null. */
  maxLength: number | null;
  /** NOT NULL on the column or on its domain. */
  notNull: boolean;
  /** The default expression as Postgres prints it, or null. */
  default: string | null;
  identity: 'always' | 'by default' | null;
  /** A generated column (GENERATED ALWAYS AS …, stored or virtual). */
  generated: boolean;
  /**
   * A virtual generated column (PostgreSQL 18+): computed on read, not stored,
   * and NULL in a row trigger's NEW, so it is not mirrored.
   */
  virtual?: true;
  /** The domain the column is declared with, if any. */
  domain: string | null;
}

export interface CatalogKey {
  /** Constraint (or unique index) name. */
  name: string;
  /** Columns in key order. */
  columns: string[];
}

export interface CatalogUnique extends CatalogKey {
  /** A UNIQUE constraint, or a unique index created without one. */
  kind: 'constraint' | 'index';
}

export interface CatalogForeignKey extends CatalogKey {
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
  deferrable: boolean;
}

export interface CatalogTable {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned';
  /** In position order. */
  columns: CatalogColumn[];
  primaryKey: CatalogKey | null;
  /** Sorted by name. */
  uniques: CatalogUnique[];
  /** Sorted by the position of their first column, then name. */
  foreignKeys: CatalogForeignKey[];
}

export interface Catalog {
  schema: string;
  /** Ordinary and partitioned tables of the schema (partitions left out), sorted by name. */
  tables: CatalogTable[];
  /**
   * True when the database has no schema of that name (a typo in the config's
   * `schema`): an empty schema and a missing one both have no tables, but only
   * the missing one is a mistake to report.
   */
  schemaMissing?: boolean;
}

export function catalogTable(catalog: Catalog, name: string): CatalogTable | undefined {
  return catalog.tables.find((t) => t.name === name);
}
