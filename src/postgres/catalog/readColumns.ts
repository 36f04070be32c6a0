/**
 * Columns of a schema's tables with their types resolved: domains down to
 * their base type, arrays to their element, enums to their labels, varchar
 * lengths from the type modifier. Type facts are read by OID in a second step
 * (rather than by joining pg_type several times) because domains can stack.
 */
import type { Queryable } from '../database.js';
import type { CatalogColumn } from './types.js';

/** Restricts catalog queries to the ordinary and partitioned tables of schema $1. */
export const SCHEMA_TABLES_WHERE = `n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`;

interface ColumnRow {
  table: string;
  position: number;
  name: string;
  declared_type: string;
  type_oid: string;
  typmod: number;
  not_null: boolean;
  default_expr: string | null;
  identity: string;
  generated: string;
}

const COLUMNS_SQL = `
SELECT c.relname AS table, a.attnum AS position, a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared_type,
       a.atttypid::text AS type_oid, a.atttypmod AS typmod, a.attnotnull AS not_null,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       a.attidentity::text AS identity, a.attgenerated::text AS generated
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE ${SCHEMA_TABLES_WHERE} AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY c.relname, a.attnum`;

interface TypeRow {
  oid: string;
  name: string;
  schema: string;
  typtype: string;
  category: string;
  elem: string;
  base: string;
  not_null: boolean;
  typmod: number;
}

const TYPES_SQL = `
SELECT t.oid::text AS oid, t.typname AS name, n.nspname AS schema, t.typtype::text AS typtype,
       t.typcategory::text AS category, t.typelem::text AS elem, t.typbasetype::text AS base,
       t.typnotnull AS not_null, t.typtypmod AS typmod
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.oid = ANY($1::oid[])`;

const ENUM_LABELS_SQL = `
SELECT e.enumtypid::text AS type_oid, e.enumlabel AS label
  FROM pg_catalog.pg_enum e
 WHERE e.enumtypid = ANY($1::oid[])
 ORDER BY e.enumtypid, e.enumsortorder`;

/** Every type reachable from the given OIDs through domains and array elements. */
async function readTypes(db: Queryable, oids: Iterable<string>): Promise<Map<string, TypeRow>> {
  const types = new Map<string, TypeRow>();
  let wanted = [...new Set(oids)];
  while (wanted.length > 0) {
    const { rows } = await db.query<TypeRow>(TYPES_SQL, [wanted]);
    for (const row of rows) types.set(row.oid, row);
    wanted = rows
      .flatMap((r) => [r.base, r.category === 'A' ? r.elem : '0'])
      .filter((oid) => oid !== '0' && !types.has(oid));
  }
  return types;
}

async function readEnumLabels(db: Queryable, oids: string[]): Promise<Map<string, string[]>> {
  const labels = new Map<string, string[]>();
  if (oids.length === 0) return labels;
  const { rows } = await db.query<{ type_oid: string; label: string }>(ENUM_LABELS_SQL, [oids]);
  for (const row of rows) {
    const list = labels.get(row.type_oid) ?? [];
    list.push(row.label);
    labels.set(row.type_oid, list);
  }
  return labels;
}

interface ResolvedType {
  base: TypeRow;
  isArray: boolean;
  /** A domain's own NOT NULL (any level). */
  domainNotNull: boolean;
  /** The innermost type modifier found (a domain over varchar(n) carries n). */
  typmod: number;
  domain: string | null;
}

/** Follows domains (and one array level, with domains on its element) down to a base type. */
function resolveType(types: Map<string, TypeRow>, oid: string, typmod: number): ResolvedType {
  const result: ResolvedType = {
    base: types.get(oid)!,
    isArray: false,
    domainNotNull: false,
    typmod,
    domain: null,
  };
  for (let guard = 0; guard < 32; guard++) {
    const t = result.base;
    if (t.typtype === 'd') {
      result.domain ??= t.name;
      result.domainNotNull ||= t.not_null;
      if (result.typmod < 0) result.typmod = t.typmod;
      result.base = types.get(t.base)!;
    } else if (t.category === 'A' && t.elem !== '0' && !result.isArray) {
      result.isArray = true;
      result.base = types.get(t.elem)!;
    } else {
      break;
    }
  }
  return result;
}

const LENGTH_TYPES = new Set(['varchar', 'bpchar']);

function toColumn(
  row: ColumnRow,
  resolved: ResolvedType,
  labels: Map<string, string[]>,
): CatalogColumn {
  const { base } = resolved;
  const generated = row.generated !== '';
  return {
    name: row.name,
    position: row.position,
    declaredType: row.declared_type,
    baseType: base.name,
    baseTypeSchema: base.schema,
    isArray: resolved.isArray,
    enumValues: base.typtype === 'e' ? (labels.get(base.oid) ?? []) : null,
    // varchar(n) and char(n) store n + 4 (the varlena header) in the modifier.
    maxLength: LENGTH_TYPES.has(base.name) && resolved.typmod >= 4 ? resolved.typmod - 4 : null,
    notNull: row.not_null || resolved.domainNotNull,
    default: generated ? null : row.default_expr,
    identity: row.identity === 'a' ? 'always' : row.identity === 'd' ? 'by default' : null,
    generated,
    ...(row.generated === 'v' ? { virtual: true as const } : {}),
    domain: resolved.domain,
  };
}

/** Columns of every table in the schema, keyed by table name, in position order. */
export async function readColumns(
  db: Queryable,
  schema: string,
): Promise<Map<string, CatalogColumn[]>> {
  const { rows } = await db.query<ColumnRow>(COLUMNS_SQL, [schema]);
  const types = await readTypes(
    db,
    rows.map((r) => r.type_oid),
  );
  const resolved = rows.map((r) => resolveType(types, r.type_oid, r.typmod));
  const enumOids = [
    ...new Set(resolved.filter((t) => t.base.typtype === 'e').map((t) => t.base.oid)),
  ];
  const labels = await readEnumLabels(db, enumOids);
  const byTable = new Map<string, CatalogColumn[]>();
  rows.forEach((row, i) => {
    const list = byTable.get(row.table) ?? [];
    list.push(toColumn(row, resolved[i]!, labels));
    byTable.set(row.table, list);
  });
  return byTable;
}
