/**
 * Removes the capture trigger. Only the trigger, its generated function and
 * Tandem's record of it go:
 * the application's tables and rows are never touched, and events already in
 * the outbox stay there for the relay.
 */
import pg from 'pg';
import { qualifiedTable } from '../mapping/index.js';
import { NotFoundError } from '../core/errors.js';
import { withRetriedTransaction, type Queryable } from '../postgres/database.js';
import { requireSchema } from '../postgres/migrate.js';
import { recordAudit } from './audit.js';
import { qualifiedCaptureFunction } from './captureFunction.js';
import {
  captureTriggerName,
  heavyListedTriggerName,
  readTableCatalog,
  tablesWithCaptureTrigger,
} from './catalog.js';
import { DEFAULT_LOCK_TIMEOUT_MS, setLockTimeout, type CaptureOptions } from './install.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface UninstallResult {
  table: string;
  action: 'removed' | 'absent';
}

async function recordedTables(db: Queryable, tool: ToolSchema): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM ${tool.sql}.captured_table ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** Every table capture is on, by Tandem's records or by the catalog. */
export async function capturedTables(db: Queryable, tool: ToolSchema, schema: string): Promise<string[]> {
  return [
    ...new Set([...(await recordedTables(db, tool)), ...(await tablesWithCaptureTrigger(db, tool, schema))]),
  ].sort();
}

export interface UninstallOptions extends Partial<Pick<CaptureOptions, 'tables'>> {
  /** The application schema (the project config's). */
  schema: string;
  /** Tandem's own schema, where capture is recorded. */
  tool: ToolSchema;
  actor?: string;
  lockTimeoutMs?: number;
}

/**
 * Drops the capture trigger from each table (default: every captured table).
 * A table without capture is a no-op; a name that is neither a table nor
 * recorded as captured is an error, and then nothing is removed.
 */
export async function uninstallCapture(
  pool: pg.Pool,
  options: UninstallOptions,
): Promise<UninstallResult[]> {
  await requireSchema(pool, options.tool);
  return withRetriedTransaction(pool, (tx) => uninstallCaptureIn(tx, options));
}

/**
 * The same inside the caller's transaction (decommission removes capture in
 * the transaction that retires the table, so a refusal leaves capture on).
 */
export async function uninstallCaptureIn(
  tx: Queryable,
  options: UninstallOptions,
): Promise<UninstallResult[]> {
  const { tool } = options;
  await setLockTimeout(tx, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  const recorded = new Set(await recordedTables(tx, tool));
  const tables = options.tables
    ? [...new Set(options.tables)]
    : await capturedTables(tx, tool, options.schema);
  const catalogs = await readTableCatalog(tx, tables, { schema: options.schema, tool });
  for (const name of tables) {
    if (!catalogs.has(name) && !recorded.has(name))
      throw new NotFoundError('table', name, 'tables');
  }
  const results: UninstallResult[] = [];
  for (const name of tables) {
    const trigger = catalogs.get(name)?.trigger ?? null;
    if (!trigger && !recorded.has(name)) {
      results.push({ table: name, action: 'absent' });
      continue;
    }
    const table = qualifiedTable({ schema: options.schema, name });
    if (trigger) await tx.query(`DROP TRIGGER ${captureTriggerName(tool)} ON ${table}`);
    if (catalogs.get(name)?.heavyListedTrigger)
      await tx.query(`DROP TRIGGER ${heavyListedTriggerName(tool)} ON ${table}`);
    // The table's generated function (tables installed by an older Tandem have none).
    await tx.query(`DROP FUNCTION IF EXISTS ${qualifiedCaptureFunction(tool, name)}()`);
    await tx.query(`DELETE FROM ${tool.sql}.captured_table WHERE table_name = $1`, [name]);
    await recordAudit(tx, tool, { actor: options.actor, action: 'capture.uninstall', target: name });
    results.push({ table: name, action: 'removed' });
  }
  return results;
}
