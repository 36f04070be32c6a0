/**
 * Creates and upgrades Tandem's own schema from the numbered .sql files in
 * migrations/. Safe when several processes migrate at once: each migration runs
 * in its own transaction that first takes a transaction-level advisory lock and
 * then re-reads the applied versions, so a migration another process applied
 * while we waited is skipped, never run twice.
 */
import fs from 'node:fs';
import type pg from 'pg';
import { ConfigError } from '../core/errors.js';
import { toolLockKey, type ToolSchema } from '../core/toolSchema.js';
import { withTransaction, type Queryable } from './database.js';

/**
 * The key of the migration advisory lock: an arbitrary constant for the default
 * tool schema, derived from the name for any other (so migrating two tool
 * schemas of one database does not serialize them, nor mix their versions).
 */
const MIGRATION_LOCK_KEY = 7_461_626_101;

/** The placeholder a migration writes where the tool schema's quoted name goes. */
const TOOL_PLACEHOLDER = '{{tool}}';

/**
 * A migration's SQL for one tool schema: every `{{tool}}` (in statements and
 * inside PL/pgSQL bodies alike) becomes the schema's quoted identifier.
 */
export function renderMigration(text: string, tool: ToolSchema): string {
  return text.split(TOOL_PLACEHOLDER).join(tool.sql);
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface SchemaStatus {
  /** Highest applied version; 0 when the schema does not exist yet. */
  current: number;
  /** Highest version this build of Tandem knows. */
  latest: number;
  pending: Array<{ version: number; name: string }>;
}

/** The database is older (or newer) than this build of Tandem expects. */
export class SchemaOutOfDateError extends ConfigError {
  constructor(
    readonly status: SchemaStatus,
    message: string,
  ) {
    super('schema', message);
  }
}

const migrationsDir = new URL('./migrations/', import.meta.url);
let cached: Migration[] | undefined;

/** The migrations shipped with Tandem, in version order (file names `0001_name.sql`). */
export function loadMigrations(): Migration[] {
  cached ??= fs
    .readdirSync(migrationsDir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file, index) => {
      const version = Number(file.slice(0, 4));
      if (version !== index + 1) throw new Error(`migration ${file}: expected version ${index + 1}`);
      return {
        version,
        name: file.slice(5, -4),
        sql: fs.readFileSync(new URL(file, migrationsDir), 'utf8'),
      };
    });
  return cached;
}

async function appliedVersions(db: Queryable, tool: ToolSchema): Promise<Set<number>> {
  // A scan of pg_class, not to_regclass(): after waiting on the advisory lock,
  // the backend's catalog cache may not yet know the table another process
  // just created, while a query sees everything committed before it started.
  const { rows } = await db.query<{ exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relname = 'schema_version') AS exists`,
    [tool.name],
  );
  if (!rows[0]?.exists) return new Set();
  const applied = await db.query<{ version: number }>(`SELECT version FROM ${tool.sql}.schema_version`);
  return new Set(applied.rows.map((r) => r.version));
}

/**
 * Applies every pending migration, each in its own transaction with its version
 * row. Returns the versions this call applied (empty when already current).
 */
export async function migrate(pool: pg.Pool, tool: ToolSchema): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of loadMigrations()) {
    if ((await appliedVersions(pool, tool)).has(migration.version)) continue;
    const ran = await withTransaction(pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [toolLockKey(tool, 'migrate', MIGRATION_LOCK_KEY)]);
      // Another process may have applied it while we waited for the lock.
      if ((await appliedVersions(tx, tool)).has(migration.version)) return false;
      await tx.query(renderMigration(migration.sql, tool));
      await tx.query(`INSERT INTO ${tool.sql}.schema_version (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

export async function schemaStatus(db: Queryable, tool: ToolSchema): Promise<SchemaStatus> {
  const migrations = loadMigrations();
  const applied = await appliedVersions(db, tool);
  return {
    current: applied.size === 0 ? 0 : Math.max(...applied),
    latest: migrations.at(-1)?.version ?? 0,
    pending: migrations
      .filter((m) => !applied.has(m.version))
      .map(({ version, name }) => ({ version, name })),
  };
}

/** Throws SchemaOutOfDateError unless the schema is exactly at this build's latest version. */
export async function requireSchema(db: Queryable, tool: ToolSchema): Promise<SchemaStatus> {
  const status = await schemaStatus(db, tool);
  if (status.pending.length > 0) {
    const what =
      status.current === 0
        ? `Tandem's schema ${tool.sql} is not installed`
        : `Tandem's schema is at version ${status.current}, ${status.latest} is needed`;
    throw new SchemaOutOfDateError(status, `${what}; run \`npx tandem init\``);
  }
  if (status.current > status.latest) {
    throw new SchemaOutOfDateError(
      status,
      `Tandem's schema is at version ${status.current}, newer than this build knows (${status.latest}); upgrade tandem`,
    );
  }
  return status;
}
