/**
 * The backfill (DESIGN.md section 4): copies the rows that existed before
 * capture was installed into Convex, table by table in plan order, without
 * ever overwriting a newer live change. See docs/backfill.md for the rules.
 */
import type pg from 'pg';
import { readTableCatalog } from '../capture/catalog.js';
import { captureStatus } from '../capture/index.js';
import { ConfigError, InvalidInputError } from '../core/errors.js';
import { silentLogger } from '../log.js';
import { keyColumnsByTable, type MirrorConfig } from '../mapping/index.js';
import { requireSchema } from '../postgres/migrate.js';
import type { ApplyTarget } from '../relay/applyClaimed.js';
import { copyTable, type CopyContext, type TableBackfillResult } from './copyTable.js';
import { resolveOptions, type BackfillOptions } from './options.js';
import { tableShape, type TableShape } from './readPage.js';
import { beginTable, clearBackfillState, readBackfillState } from './state.js';
import { tryLockTable, type TableLock } from './tableLock.js';
import { RateLimiter } from './throttle.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** How often a run waiting for a table another process copies tries its lock again. */
const BUSY_TABLE_POLL_MS = 250;

export interface BackfillResult {
  tables: TableBackfillResult[];
  /** The signal aborted the run; the tables not reached are not listed. */
  stopped: boolean;
}

/**
 * The selected tables in plan order. The mirror configuration lists its tables
 * in plan order, parents before children (`tandem codegen` writes it from the
 * plan, docs/plan.md), so its order is the plan's.
 */
export function backfillOrder(config: MirrorConfig, selected?: readonly string[]): string[] {
  const order = config.tables.map((t) => t.name);
  const unknown = (selected ?? []).filter((t) => !order.includes(t));
  if (unknown.length > 0)
    throw new InvalidInputError(
      'tables',
      `not mirrored: ${unknown.join(', ')} (mirrored: ${order.join(', ')})`,
    );
  return selected ? order.filter((t) => selected.includes(t)) : order;
}

/**
 * Refuses unless the capture trigger is installed and current on every table:
 * rows written while the backfill runs reach Convex only through capture.
 */
async function tableShapes(
  pool: pg.Pool, tool: ToolSchema,
  tables: string[],
  config: MirrorConfig,
): Promise<Map<string, TableShape>> {
  const capture = new Map((await captureStatus(pool, tool, config)).map((s) => [s.table, s]));
  const missing = tables.filter((t) => !capture.get(t)?.installed);
  if (missing.length > 0) {
    const states = missing.map((t) => `${t} (${capture.get(t)?.state ?? 'absent'})`).join(', ');
    throw new ConfigError(
      'capture',
      `capture is not installed on ${states}; run \`npx tandem capture install\` first: ` +
        'a backfill without capture would lose the writes made while it runs',
    );
  }
  const catalogs = await readTableCatalog(pool, tables, {
    schema: config.schema,
    tool,
    keys: keyColumnsByTable(config),
  });
  const shapes = new Map<string, TableShape>();
  for (const table of tables) {
    const catalog = catalogs.get(table)!;
    const configured = config.tables.find((t) => t.name === table)!.primaryKey;
    if (configured.join(',') !== catalog.keyColumns.join(','))
      throw new ConfigError(
        'mirror config',
        `${table}: primary key in Postgres is (${catalog.keyColumns.join(', ')}), the mirror configuration says (${configured.join(', ')})`,
      );
    shapes.set(table, tableShape(config.schema, catalog));
  }
  return shapes;
}

/** Copies the selected tables into Convex, resuming each from its checkpoint. */
export async function backfill(
  pool: pg.Pool, tool: ToolSchema,
  target: ApplyTarget,
  options: BackfillOptions,
): Promise<BackfillResult> {
  const resolved = resolveOptions(options);
  const log = options.log ?? silentLogger;
  await requireSchema(pool, tool);
  const tables = backfillOrder(resolved.config, options.tables);
  await tableShapes(pool, tool, tables, resolved.config); // refuse before copying anything
  const ctx: CopyContext = {
    pool,
    tool,
    target,
    options: resolved,
    log,
    limiter: resolved.rate === null ? null : new RateLimiter(resolved.rate),
    signal: options.signal,
    onProgress: options.onProgress,
  };
  const results: TableBackfillResult[] = [];
  /** Copies one table under its lock; false when the run stopped. `waited`: another process held it first. */
  const copyLocked = async (table: string, lock: TableLock, waited: boolean): Promise<boolean> => {
    try {
      // A table another process held was copied (or resumed) since this run started: never restart it.
      if (resolved.restart && !waited) await clearBackfillState(pool, tool, table);
      const previous = await readBackfillState(pool, tool, table);
      if (previous?.status === 'done') {
        options.onProgress?.({ kind: 'table-skipped', table, reason: waited ? 'copied by another process' : 'already done' });
        results.push(skippedResult(previous.table, previous.rowsCopied));
        return true;
      }
      // Checked again for each table: capture could have been removed while earlier tables were copied.
      const shape = (await tableShapes(pool, tool, [table], resolved.config)).get(table)!;
      const state = await beginTable(pool, tool, table, shape.keyColumns);
      const result = await copyTable(ctx, tool, shape, state);
      results.push(result);
      return result.outcome !== 'stopped';
    } finally {
      await lock.release();
    }
  };
  // Tables another process is copying (it holds their lock): done after the others.
  const busy: string[] = [];
  for (const table of tables) {
    if (options.signal?.aborted) return { tables: results, stopped: true };
    const lock = await tryLockTable(pool, tool, table);
    if (!lock) {
      busy.push(table);
      options.onProgress?.({ kind: 'table-busy', table, reason: 'another process is copying it; copying the other tables first' });
      continue;
    }
    if (!(await copyLocked(table, lock, false))) return { tables: results, stopped: true };
  }
  for (const table of busy) {
    const lock = await waitForTable(pool, tool, table, options.signal);
    if (!lock || !(await copyLocked(table, lock, true))) return { tables: results, stopped: true };
  }
  return { tables: results, stopped: false };
}

/** Waits until the other process holding `table` lets it go (finished, stopped or died); null when aborted. */
async function waitForTable(pool: pg.Pool, tool: ToolSchema, table: string, signal?: AbortSignal): Promise<TableLock | null> {
  for (;;) {
    if (signal?.aborted) return null;
    const lock = await tryLockTable(pool, tool, table);
    if (lock) return lock;
    await new Promise((resolve) => setTimeout(resolve, BUSY_TABLE_POLL_MS));
  }
}

function skippedResult(table: string, totalCopied: number): TableBackfillResult {
  return {
    table,
    outcome: 'skipped',
    copied: 0,
    skipped: 0,
    rejected: 0,
    calls: 0,
    resumedAfter: null,
    firstKey: null,
    totalCopied,
    seconds: 0,
    backoffPauses: 0,
    backoffMs: 0,
  };
}
