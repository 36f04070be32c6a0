/**
 * Installs the capture trigger on application tables. Every requested table is
 * checked against the live catalog first, and all of them are installed in one
 * transaction, so a bad name or an unsupported table installs nothing.
 * Each table gets its own generated trigger function (captureFunction.ts).
 * Installing again is a no-op for a table whose trigger is already present,
 * enabled and calling a function generated from the catalog as it is now.
 */
import pg from 'pg';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { withRetriedTransaction, type Queryable } from '../postgres/database.js';
import { requireSchema } from '../postgres/migrate.js';
import { partitionsWithOwnTrigger } from '../postgres/catalog/index.js';
import { recordAudit } from './audit.js';
import { recordInstalledShape, resumeTables } from './tablePause.js';
import { tableShape } from './tableShape.js';
import { findTable, keyColumnsByTable, qualifiedTable, type MirrorConfig } from '../mapping/index.js';
import { KEY_TYPES } from '../mapping/pgTypes.js';
import { createCaptureFunctionSql, qualifiedCaptureFunction } from './captureFunction.js';
import {
  captureTriggerName,
  captureSpec,
  heavyListedTriggerName,
  readTableCatalog,
  triggerIsCurrent,
  type TableCatalog,
} from './catalog.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface CaptureOptions {
  /** The mirrored tables to capture (discovery's selectTables). */
  tables: readonly string[];
  /** Recorded in the audit log; default: the Postgres role. */
  actor?: string;
  /** How long to wait for the table locks DDL needs before giving up (ms). */
  lockTimeoutMs?: number;
  /** Where the heavy (companion content) columns come from. */
  mirror: MirrorConfig;
  /** Tandem's own schema: the outbox the triggers write to, and Tandem's records. */
  tool: ToolSchema;
}

/** The table's heavy columns in the mirror configuration: left out of an update's image when unchanged. */
export function heavyColumnsOf(table: string, mirror: MirrorConfig): readonly string[] {
  return findTable(mirror, table)?.heavy?.columns ?? [];
}

export interface InstallResult {
  table: string;
  action: 'installed' | 'updated' | 'unchanged';
  keyColumns: string[];
  textColumns: string[];
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export function requestedTables(tables: readonly string[]): string[] {
  const list = [...new Set(tables)];
  if (list.length === 0) throw new InvalidInputError('tables', 'no table given');
  return list;
}

function checkCapturable(name: string, catalog: TableCatalog | undefined): TableCatalog {
  if (!catalog) throw new NotFoundError('table', name, 'tables');
  if (catalog.partitionOf !== null) {
    throw new InvalidInputError(
      'tables',
      `"${name}" is a partition of "${catalog.partitionOf}": capture the partitioned table, whose trigger covers every partition`,
    );
  }
  // A row trigger on a partitioned table is cloned onto every partition, present and future.
  if (catalog.relkind !== 'r' && catalog.relkind !== 'p') {
    throw new InvalidInputError(
      'tables',
      `"${name}" is not an ordinary or partitioned table (relkind ${catalog.relkind})`,
    );
  }
  if (catalog.keyColumns.length === 0) {
    throw new InvalidInputError('tables', `table "${name}" has no primary key`);
  }
  catalog.keyTypes.forEach((type, i) => {
    if (!KEY_TYPES.has(type) && !catalog.keyIsEnum[i]) {
      throw new InvalidInputError(
        'tables',
        `table "${name}" key column "${catalog.keyColumns[i]}" has type ${type}; capture supports ${[...KEY_TYPES].join(', ')} and enum keys`,
      );
    }
  });
  return catalog;
}

/**
 * A partition captured on its own before it was attached has a trigger of our
 * name that is not a clone of the parent's: creating the parent's would fail on
 * it, and keeping it would capture the partition's rows twice under two names.
 */
async function checkPartitions(tx: Queryable, tool: ToolSchema, schema: string, table: string): Promise<void> {
  const partitions = await partitionsWithOwnTrigger(tx, schema, table, captureTriggerName(tool));
  if (partitions.length > 0) {
    const names = partitions.map((p) => `"${p}"`).join(', ');
    throw new InvalidInputError(
      'tables',
      `partition ${names} of "${table}" has a capture trigger of its own (captured before it was attached): run \`tandem capture uninstall --tables ${partitions.join(',')}\` first`,
    );
  }
}

function isCurrent(catalog: TableCatalog, tool: ToolSchema, heavy: readonly string[]): boolean {
  const enabled = catalog.trigger?.enabled === 'O' || catalog.trigger?.enabled === 'A';
  return enabled && triggerIsCurrent(catalog, tool, heavy);
}

export function setLockTimeout(tx: Queryable, ms: number): Promise<unknown> {
  return tx.query(`SELECT set_config('lock_timeout', $1, true)`, [
    `${Math.max(0, Math.round(ms))}ms`,
  ]);
}

async function createTrigger(
  tx: Queryable, tool: ToolSchema,
  schema: string,
  catalog: TableCatalog,
  heavy: readonly string[],
): Promise<void> {
  const table = qualifiedTable({ schema, name: catalog.table });
  const spec = captureSpec(catalog, tool, heavy);
  await tx.query(createCaptureFunctionSql(spec));
  await tx.query(`DROP TRIGGER IF EXISTS ${captureTriggerName(tool)} ON ${table}`);
  await tx.query(`DROP TRIGGER IF EXISTS ${heavyListedTriggerName(tool)} ON ${table}`);
  await tx.query(
    `CREATE TRIGGER ${captureTriggerName(tool)} AFTER INSERT OR UPDATE OR DELETE ON ${table}
       FOR EACH ROW EXECUTE FUNCTION ${qualifiedCaptureFunction(tool, catalog.table)}()`,
  );
  // Created in the same transaction as the function that relies on it: never one without the other.
  if (spec.heavyListedMark)
    await tx.query(
      `CREATE TRIGGER ${heavyListedTriggerName(tool)}
         BEFORE UPDATE OF ${spec.heavyColumns.map((c) => pg.escapeIdentifier(c)).join(', ')} ON ${table}
         FOR EACH STATEMENT EXECUTE FUNCTION ${tool.sql}.capture_heavy_listed()`,
    );
}

async function recordInstalled(
  tx: Queryable, tool: ToolSchema,
  catalog: TableCatalog,
  actor: string | undefined,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${tool.sql}.captured_table (table_name, key_columns, text_columns, installed_by)
     VALUES ($1, $2, $3, coalesce($4, current_user))
     ON CONFLICT (table_name) DO UPDATE
       SET key_columns = excluded.key_columns, text_columns = excluded.text_columns,
           installed_at = now(), installed_by = excluded.installed_by`,
    [catalog.table, catalog.keyColumns, catalog.textColumns, actor ?? null],
  );
}

async function installOne(
  tx: Queryable, tool: ToolSchema,
  catalog: TableCatalog,
  options: CaptureOptions,
): Promise<InstallResult> {
  const { actor } = options;
  const heavy = heavyColumnsOf(catalog.table, options.mirror);
  const base = {
    table: catalog.table,
    keyColumns: catalog.keyColumns,
    textColumns: catalog.textColumns,
  };
  const recorded = await tx.query(`SELECT 1 FROM ${tool.sql}.captured_table WHERE table_name = $1`, [
    catalog.table,
  ]);
  const current = isCurrent(catalog, tool, heavy);
  if (current && recorded.rowCount === 1) return { ...base, action: 'unchanged' };
  const action = catalog.trigger ? 'updated' : 'installed';
  if (!current) await createTrigger(tx, tool, options.mirror.schema, catalog, heavy);
  await recordInstalled(tx, tool, catalog, actor);
  await recordAudit(tx, tool, {
    actor,
    action: 'capture.install',
    target: catalog.table,
    detail: {
      keyColumns: catalog.keyColumns,
      textColumns: catalog.textColumns,
      heavyColumns: captureSpec(catalog, tool, heavy).heavyColumns,
      previous: catalog.trigger
        ? {
            enabled: catalog.trigger.enabled,
            function: catalog.trigger.functionName,
            args: catalog.trigger.args,
          }
        : null,
    },
  });
  return { ...base, action };
}

/** Installs (or refreshes) the capture trigger on each table; returns what was done per table. */
export async function installCapture(
  pool: pg.Pool,
  options: CaptureOptions,
): Promise<InstallResult[]> {
  const { tool } = options;
  await requireSchema(pool, tool);
  const tables = requestedTables(options.tables);
  return withRetriedTransaction(pool, async (tx) => {
    await setLockTimeout(tx, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    const catalogs = await readTableCatalog(tx, tables, {
      schema: options.mirror.schema,
      tool,
      keys: keyColumnsByTable(options.mirror),
    });
    const checked = tables.map((name) => checkCapturable(name, catalogs.get(name)));
    for (const catalog of checked)
      if (catalog.relkind === 'p') await checkPartitions(tx, tool, options.mirror.schema, catalog.table);
    const results: InstallResult[] = [];
    for (const catalog of checked) results.push(await installOne(tx, tool, catalog, options));
    // The trigger now matches the table's shape (and the mirror was discovered
    // from it): a table paused by a schema change resumes, and running relays
    // discover the mirror again before mapping it.
    for (const catalog of checked) {
      const table = findTable(options.mirror, catalog.table);
      if (table) await recordInstalledShape(tx, tool, catalog.table, tableShape(table));
    }
    await resumeTables(tx, tool, checked.map((c) => c.table), options.actor);
    return results;
  });
}
