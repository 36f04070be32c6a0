/**
 * Reads the catalog of one schema: its tables, their columns and keys. Only
 * pg_catalog is queried, never the tables themselves, so this is cheap and
 * safe on any database, including tables Tandem must never touch.
 */
import type { Queryable } from '../database.js';
import { readColumns, SCHEMA_TABLES_WHERE } from './readColumns.js';
import { readConstraints } from './readConstraints.js';
import { readSchemaRelationCount } from './schemas.js';
import type { Catalog, CatalogTable } from './types.js';

const TABLES_SQL = `
SELECT c.relname AS name, c.relkind::text AS relkind
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${SCHEMA_TABLES_WHERE}`;

/** `schema` is the application schema, from the resolved project config (no default here). */
export async function readCatalog(db: Queryable, schema: string): Promise<Catalog> {
  const { rows } = await db.query<{ name: string; relkind: string }>(TABLES_SQL, [schema]);
  const columns = await readColumns(db, schema);
  const constraints = await readConstraints(db, schema);
  const tables: CatalogTable[] = rows.map((row) => {
    const keys = constraints.get(row.name);
    return {
      schema,
      name: row.name,
      kind: row.relkind === 'p' ? 'partitioned' : 'table',
      columns: columns.get(row.name) ?? [],
      primaryKey: keys?.primaryKey ?? null,
      uniques: keys?.uniques ?? [],
      foreignKeys: keys?.foreignKeys ?? [],
    };
  });
  // Code-point order, independent of the server's collation.
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (tables.length > 0) return { schema, tables };
  const relations = await readSchemaRelationCount(db, schema);
  return relations !== null ? { schema, tables } : { schema, tables, schemaMissing: true };
}
