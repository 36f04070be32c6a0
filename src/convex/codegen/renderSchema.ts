/**
 * Renders the schema fragment (tandem/schemaFragment.ts in the app's Convex
 * folder) from the mirror configuration: one Convex table per
 * mirrored Postgres table (its columns with validators by type, pgKey,
 * pgVersion, ref_* Ids, an index on pgKey and one per foreign-key column), the
 * companion tables for heavy columns, and the tombstone table.
 */
import {
  CHANGELOG_HEAD_TABLE,
  CHANGELOG_TABLE,
  KEY_FIELD,
  TOMBSTONE_TABLE,
  VERSION_FIELD,
  foreignKeyIndex,
  heavyColumnSet,
  refField,
  type ColumnConfig,
  type MirrorConfig,
  type TableConfig,
} from '../../mapping/tableConfig.js';
import { GENERATED_NOTICE } from './notice.js';

export const KEY_INDEX = 'by_pgKey';
export const TOMBSTONE_INDEX = 'by_table_pgKey';

function scalarValidator(column: ColumnConfig): string {
  switch (column.type) {
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
    case 'timestamptz':
    case 'timestamp':
      return 'v.number()';
    case 'int8':
      return 'v.int64()';
    case 'numeric':
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'uuid':
    case 'date':
    case 'time':
    case 'timetz':
    case 'interval':
    case 'other':
      return 'v.string()';
    case 'bytea':
      return 'v.bytes()';
    case 'bool':
      return 'v.boolean()';
    case 'enum':
      return `v.union(${(column.enumValues ?? []).map((label) => `v.literal(${JSON.stringify(label)})`).join(', ')})`;
    case 'json':
    case 'jsonb':
      return 'v.any()';
  }
}

export function columnValidator(column: ColumnConfig): string {
  const scalar = scalarValidator(column);
  if (scalar === 'v.any()') return scalar;
  const value = column.array ? `v.array(v.union(${scalar}, v.null()))` : scalar;
  return column.nullable ? `v.union(${value}, v.null())` : value;
}

function field(name: string, validator: string): string {
  return `    ${name}: ${validator},`;
}

function renderTable(table: TableConfig): string {
  const heavy = heavyColumnSet(table);
  const fields = table.columns
    .filter((c) => !heavy.has(c.name))
    .map((c) => field(c.name, columnValidator(c)));
  fields.push(field(KEY_FIELD, 'v.string()'), field(VERSION_FIELD, 'v.number()'));
  for (const fk of table.foreignKeys)
    fields.push(field(refField(fk.column), `v.optional(v.id(${JSON.stringify(fk.references)}))`));
  const indexes = [`.index(${JSON.stringify(KEY_INDEX)}, [${JSON.stringify(KEY_FIELD)}])`];
  for (const fk of table.foreignKeys) {
    indexes.push(
      `.index(${JSON.stringify(foreignKeyIndex(fk.column))}, [${JSON.stringify(fk.column)}])`,
    );
  }
  return `  ${table.name}: defineTable({\n${fields.join('\n')}\n  })\n${indexes.map((i) => `    ${i}`).join('\n')},`;
}

function renderContentTable(table: TableConfig): string {
  const heavy = heavyColumnSet(table);
  const fields = [field(KEY_FIELD, 'v.string()'), field(VERSION_FIELD, 'v.number()')];
  for (const column of table.columns.filter((c) => heavy.has(c.name)))
    fields.push(field(column.name, columnValidator(column)));
  return `  ${table.heavy!.table}: defineTable({\n${fields.join('\n')}\n  }).index(${JSON.stringify(KEY_INDEX)}, [${JSON.stringify(KEY_FIELD)}]),`;
}

/** Where the fragment lives in the app's Convex folder, and the name it exports. */
export const SCHEMA_FRAGMENT_MODULE = 'tandem/schemaFragment.ts';
export const SCHEMA_FRAGMENT_EXPORT = 'tandemTables';

/**
 * The schema fragment: Tandem's tables as a plain object of `defineTable`s,
 * which the app spreads into its own `defineSchema({ ...appTables, ...tandemTables })`.
 */
export function renderSchemaFragment(config: MirrorConfig): string {
  const tables = config.tables.map(renderTable);
  const contents = config.tables.filter((t) => t.heavy).map(renderContentTable);
  const tombstones = [
    `  ${TOMBSTONE_TABLE}: defineTable({`,
    field('table', 'v.string()'),
    field(KEY_FIELD, 'v.string()'),
    field(VERSION_FIELD, 'v.number()'),
    `  }).index(${JSON.stringify(TOMBSTONE_INDEX)}, ["table", ${JSON.stringify(KEY_FIELD)}]),`,
  ];
  const changeLog = [
    `  // Reverse sync: changes of write-cut-over tables, logged in the mutation that made them (convex-kit/tandem/changeLog.ts).`,
    `  ${CHANGELOG_TABLE}: defineTable({`,
    field('seq', 'v.number()'),
    field('table', 'v.string()'),
    field(KEY_FIELD, 'v.string()'),
    field('op', 'v.union(v.literal("upsert"), v.literal("delete"))'),
    field('version', 'v.number()'),
    field('doc', 'v.optional(v.any())'),
    field('loggedAt', 'v.number()'),
    `  }).index("by_seq", ["seq"]),`,
    `  // The change log's version counter: one document.`,
    `  ${CHANGELOG_HEAD_TABLE}: defineTable({`,
    field('seq', 'v.number()'),
    `  }),`,
  ];
  return [
    GENERATED_NOTICE,
    `import { defineTable } from "convex/server";`,
    `import { v } from "convex/values";`,
    ``,
    `/** Tandem's mirror tables: spread them into the app's defineSchema({ ...appTables, ...${SCHEMA_FRAGMENT_EXPORT} }). */`,
    `export const ${SCHEMA_FRAGMENT_EXPORT} = {`,
    ...tables,
    `  // Heavy columns, keyed like their main table and written in the same mutation.`,
    ...contents,
    `  // One per deleted key: blocks a late, older upsert from bringing the row back.`,
    ...tombstones,
    ...changeLog,
    `};`,
    ``,
  ].join('\n');
}

/**
 * The `schema.ts` written for an app that has none: the fragment spread, and
 * nothing else. From then on it is the app's file (Tandem never rewrites it).
 */
export function renderAppSchema(): string {
  const fragment = `./${SCHEMA_FRAGMENT_MODULE.replace(/\.ts$/, '.js')}`;
  return [
    `// Written by \`tandem codegen\` because this Convex folder had no schema.ts. It is the app's`,
    `// file from now on: add the app's own tables next to Tandem's; Tandem never rewrites it.`,
    `import { defineSchema } from "convex/server";`,
    `import { ${SCHEMA_FRAGMENT_EXPORT} } from ${JSON.stringify(fragment)};`,
    ``,
    `export default defineSchema({`,
    `  ...${SCHEMA_FRAGMENT_EXPORT},`,
    `});`,
    ``,
  ].join('\n');
}
