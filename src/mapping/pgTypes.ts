/**
 * Which Postgres base types the mapping knows by name, and how each travels in
 * a row image.
 *
 * A row image is `to_jsonb(row)`, except for columns whose to_jsonb form would
 * lose or change something on the way to JavaScript: int8 and numeric (JSON
 * numbers past 2^53 or with more digits than a double), float4/float8 (to_jsonb
 * prints -0 as 0) and every type the mapping does not know by name (to_jsonb of
 * a composite or hstore is an object, not its text). Those are carried as
 * their Postgres text (`::text`, `::text[]` for arrays). The capture trigger,
 * the backfill page query, repair and parity all build their images from this
 * one classification, so every path reads a value in the same form.
 */
import type { PgColumnType } from './tableConfig.js';

/** Base types (internal names) with a mapping of their own; any other base type is `other`. */
export const NAMED_TYPES: ReadonlySet<string> = new Set<PgColumnType>([
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'bool',
  'text',
  'varchar',
  'bpchar',
  'uuid',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'bytea',
  'json',
  'jsonb',
]);

/**
 * Types whose to_jsonb form is exact and independent of session settings
 * (date/time types are printed in ISO form whatever DateStyle says; bytea's
 * two bytea_output forms are both decoded). Enums are too.
 */
const JSON_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'int2',
  'int4',
  'bool',
  'text',
  'varchar',
  'bpchar',
  'uuid',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'bytea',
  'json',
  'jsonb',
]);

/** The mapping type of a base type (domains resolved, the element type for arrays). */
export function columnTypeOf(baseType: string, isEnum: boolean): PgColumnType {
  if (isEnum) return 'enum';
  return NAMED_TYPES.has(baseType) ? (baseType as PgColumnType) : 'other';
}

/** Whether a column of this mapping type travels as Postgres text in a row image. */
export function carriedAsText(type: PgColumnType): boolean {
  return type !== 'enum' && !JSON_IMAGE_TYPES.has(type);
}

/** The base types carried as text are all but these: for the capture catalog query. */
export const JSON_IMAGE_BASE_TYPES: readonly string[] = [...JSON_IMAGE_TYPES];

/**
 * Key column types whose key text is the same in every path (to_jsonb text;
 * timestamptz converted to UTC first). Others (floats, bytea, json, text-form
 * types) are refused as key columns.
 */
export const KEY_TYPES: ReadonlySet<string> = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'text',
  'varchar',
  'bpchar',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
]);
