/**
 * Primary keys, unique constraints (and unique indexes made without one) and
 * foreign keys with their actions. Column lists keep key order, which is the
 * order of conkey / indkey, not the table's column order.
 */
import type { Queryable } from '../database.js';
import { SCHEMA_TABLES_WHERE } from './readColumns.js';
import type { CatalogForeignKey, CatalogKey, CatalogUnique, ForeignKeyAction } from './types.js';

interface ConstraintRow {
  table: string;
  name: string;
  kind: 'p' | 'u' | 'f';
  columns: string[];
  first_position: number;
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
  on_update: string;
  on_delete: string;
  deferrable: boolean;
}

/** Constraints inherited from a partitioned parent (conparentid <> 0) are left out. */
const CONSTRAINTS_SQL = `
SELECT c.relname AS table, co.conname AS name, co.contype::text AS kind,
       ARRAY(SELECT a.attname::text
               FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
              ORDER BY k.ord) AS columns,
       co.conkey[1] AS first_position,
       rn.nspname AS ref_schema, rc.relname AS ref_table,
       CASE WHEN co.contype = 'f' THEN
         ARRAY(SELECT a.attname::text
                 FROM unnest(co.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum
                ORDER BY k.ord)
       END AS ref_columns,
       co.confupdtype::text AS on_update, co.confdeltype::text AS on_delete,
       co.condeferrable AS deferrable
  FROM pg_catalog.pg_constraint co
  JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class rc ON rc.oid = co.confrelid
  LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
 WHERE ${SCHEMA_TABLES_WHERE} AND co.contype IN ('p', 'u', 'f') AND co.conparentid = 0
 ORDER BY c.relname, co.conname`;

/** Unique, non-partial indexes on plain columns that no constraint owns. */
const UNIQUE_INDEXES_SQL = `
SELECT c.relname AS table, ic.relname AS name,
       ARRAY(SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE k.ord <= i.indnkeyatts
              ORDER BY k.ord) AS columns
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${SCHEMA_TABLES_WHERE} AND i.indisunique AND NOT i.indisprimary
   AND i.indpred IS NULL AND i.indexprs IS NULL
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid)
 ORDER BY c.relname, ic.relname`;

const ACTIONS: Record<string, ForeignKeyAction> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

function action(code: string): ForeignKeyAction {
  return ACTIONS[code] ?? 'no action';
}

export interface TableConstraints {
  primaryKey: CatalogKey | null;
  uniques: CatalogUnique[];
  foreignKeys: CatalogForeignKey[];
}

function constraintsOf(byTable: Map<string, TableConstraints>, table: string): TableConstraints {
  let entry = byTable.get(table);
  if (!entry) {
    entry = { primaryKey: null, uniques: [], foreignKeys: [] };
    byTable.set(table, entry);
  }
  return entry;
}

function addConstraint(
  entry: TableConstraints,
  row: ConstraintRow,
  positions: Map<string, number>,
): void {
  if (row.kind === 'p') {
    entry.primaryKey = { name: row.name, columns: row.columns };
  } else if (row.kind === 'u') {
    entry.uniques.push({ name: row.name, columns: row.columns, kind: 'constraint' });
  } else {
    entry.foreignKeys.push({
      name: row.name,
      columns: row.columns,
      referencedSchema: row.ref_schema!,
      referencedTable: row.ref_table!,
      referencedColumns: row.ref_columns ?? [],
      onDelete: action(row.on_delete),
      onUpdate: action(row.on_update),
      deferrable: row.deferrable,
    });
    positions.set(`${row.table}\0${row.name}`, row.first_position);
  }
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Keys of every table in the schema, keyed by table name. */
export async function readConstraints(
  db: Queryable,
  schema: string,
): Promise<Map<string, TableConstraints>> {
  const byTable = new Map<string, TableConstraints>();
  const positions = new Map<string, number>();
  const { rows } = await db.query<ConstraintRow>(CONSTRAINTS_SQL, [schema]);
  for (const row of rows) addConstraint(constraintsOf(byTable, row.table), row, positions);
  const indexes = await db.query<{ table: string; name: string; columns: string[] }>(
    UNIQUE_INDEXES_SQL,
    [schema],
  );
  for (const row of indexes.rows) {
    constraintsOf(byTable, row.table).uniques.push({
      name: row.name,
      columns: row.columns,
      kind: 'index',
    });
  }
  for (const [table, entry] of byTable) {
    entry.uniques.sort(byName);
    // Foreign keys in the order of their columns, so the config does not depend on constraint names.
    const at = (fk: CatalogForeignKey) => positions.get(`${table}\0${fk.name}`) ?? 0;
    entry.foreignKeys.sort((a, b) => at(a) - at(b) || byName(a, b));
  }
  return byTable;
}
