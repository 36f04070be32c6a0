/**
 * The schema holding Tandem's own state (outbox, claims, checkpoints, flags,
 * history, audit), named by the project config's `toolSchema`. Every statement
 * that touches it takes a ToolSchema value rather than a module constant, so two
 * tool schemas (two migrations in one database, or two apps in one process) can
 * work side by side.
 *
 * Names that must be unique per tool schema in the whole database (advisory
 * lock keys, NOTIFY channels, the trigger installed on application tables) are
 * derived from the name. The default schema keeps the names Tandem used before
 * the schema was configurable: a database installed by an older version then
 * keeps its triggers and locks, instead of gaining a second capture trigger.
 */
import crypto from 'node:crypto';
import { ConfigError } from './errors.js';

export interface ToolSchema {
  /** The schema name as Postgres stores it (pg_namespace.nspname). */
  readonly name: string;
  /** The quoted identifier, ready to put in SQL: `"tandem"`, `"Mig-Tool ""1"""`. */
  readonly sql: string;
}

export const DEFAULT_TOOL_SCHEMA_NAME = 'tandem';

const MAX_IDENTIFIER_BYTES = 63;

/**
 * Why a name cannot be a schema Tandem works in (the application's or its own),
 * or null when it can. Any name Postgres can quote is fine: every statement
 * writes a schema name as a quoted identifier or passes it as a bound value.
 */
export function schemaNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES)
    return `"${name}" is longer than Postgres's ${MAX_IDENTIFIER_BYTES}-byte identifier limit`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  if (name.toLowerCase().startsWith('pg_')) return `"${name}": names starting with pg_ are reserved by PostgreSQL`;
  return null;
}

/** Why a name cannot be a tool schema, or null when it can. */
export function toolSchemaNameProblem(name: string): string | null {
  const problem = schemaNameProblem(name);
  if (problem) return problem;
  // Migrations and generated trigger functions are PL/pgSQL in $$ quotes: a `$`
  // in the name could end the body early. (The application schema never
  // appears inside a function body, so it may contain one.)
  if (name.includes('$')) return `"${name}" contains "$", which Tandem does not allow in its schema name`;
  return null;
}

/**
 * A tool schema value for `name`. `where` names the setting it came from
 * (`tandem.config.json: toolSchema`) for the ConfigError a bad name raises.
 */
export function toolSchema(name: string, where = 'toolSchema'): ToolSchema {
  const problem = toolSchemaNameProblem(name);
  if (problem) throw new ConfigError(where, problem);
  return { name, sql: `"${name.replaceAll('"', '""')}"` };
}

/** The tool schema a resolved project config names (`toolSchema`, default `tandem`). */
export function toolSchemaOf(config: { toolSchema: string; file?: string | null }): ToolSchema {
  return toolSchema(config.toolSchema, `${config.file ?? 'config'}: toolSchema`);
}

/** The default tool schema, `tandem`. */
export const DEFAULT_TOOL_SCHEMA: ToolSchema = toolSchema(DEFAULT_TOOL_SCHEMA_NAME);

function isDefault(tool: ToolSchema): boolean {
  return tool.name === DEFAULT_TOOL_SCHEMA_NAME;
}

function nameHash(tool: ToolSchema): Buffer {
  return crypto.createHash('sha256').update(tool.name).digest();
}

/**
 * A Postgres identifier unique to this tool schema: `base` for the default
 * schema, `base_<8 hex digits of the name's hash>` otherwise (always a plain
 * lower-case identifier, whatever the schema name looks like).
 */
export function toolScopedName(tool: ToolSchema, base: string): string {
  return isDefault(tool) ? base : `${base}_${nameHash(tool).subarray(0, 4).toString('hex')}`;
}

/**
 * An int4 advisory-lock key unique to this tool schema: `defaultKey` for the
 * default schema (the constant Tandem always used), otherwise derived from the
 * name and `purpose`, so two tool schemas in one database never share a lock.
 */
export function toolLockKey(tool: ToolSchema, purpose: string, defaultKey: number): number {
  if (isDefault(tool)) return defaultKey;
  return crypto.createHash('sha256').update(`${tool.name}\u0000${purpose}`).digest().readInt32BE(0);
}

/** A SQL string literal of the schema name, for catalog lookups (`nspname = …`). */
export function toolSchemaLiteral(tool: ToolSchema): string {
  return `'${tool.name.replaceAll("'", "''")}'`;
}

/**
 * A SQL string literal naming an object of the tool schema, for functions that
 * take a name as text (`nextval('"tandem".read_flag_version')`).
 */
export function toolObjectLiteral(tool: ToolSchema, object: string): string {
  return `'${`${tool.sql}.${object}`.replaceAll("'", "''")}'`;
}
