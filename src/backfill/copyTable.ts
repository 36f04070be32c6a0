/**
 * Copies one table: pages in key order after the checkpoint, each page packed
 * into Convex calls (sent and committed by TableRun). The next page's query is
 * sent as soon as a page arrives, before that page is mapped, so Postgres
 * producing rows (for story content, converting ~150 KB of jsonb to text per
 * row), Node mapping them and Convex round trips all overlap; memory holds
 * about two pages plus the calls in flight, whatever the table's size, and a
 * page is sized by bytes as well as rows.
 */
import type pg from 'pg';
import { DEFAULT_PACKING, type PackingLimits } from '../relay/packing.js';
import type { ResolvedOptions } from './options.js';
import { pageSteps } from './pageBatches.js';
import { countRemaining, readPage, type PageRow, type TableShape } from './readPage.js';
import { finishTable, setRowsTotal, stopTable, type BackfillState } from './state.js';
import { TableRun, type CopyContext, type TableBackfillResult } from './tableRun.js';
import { pause } from './throttle.js';
import { killPoint } from '../core/killPoints.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type { CopyContext, TableBackfillResult } from './tableRun.js';

interface TimedPage {
  rows: PageRow[];
  ms: number;
}

/** Reads on its own connection: a pooled query would reach the socket only after the page being mapped. */
async function timedRead(
  reader: pg.PoolClient, tool: ToolSchema,
  shape: TableShape,
  after: string[] | null,
  limit: number,
): Promise<TimedPage> {
  const started = performance.now();
  const rows = await readPage(reader, tool, shape, after, limit);
  killPoint('backfill.afterRead');
  return { rows, ms: performance.now() - started };
}

function packingLimits(options: ResolvedOptions): PackingLimits {
  return {
    maxChanges: options.batchRows,
    maxBytes: options.batchBytes,
    maxIndexRanges: DEFAULT_PACKING.maxIndexRanges,
  };
}

/** Rows per page at most: the batch size, and never more than one second of the rate budget. */
function maxPageRows(options: ResolvedOptions): number {
  return options.rate === null
    ? options.batchRows
    : Math.max(1, Math.min(options.batchRows, Math.floor(options.rate)));
}

/**
 * The first two pages are small: the next page is asked for before the current
 * one is mapped, so the rows' size is known only from the third page on.
 */
const FIRST_PAGE_ROWS = 20;

/**
 * Rows of the next page: about one call's worth of bytes at the average row
 * size seen so far, so a table of large rows (story content) never holds
 * thousands of them in memory at once.
 */
function nextPageRows(max: number, batchBytes: number, rows: number, bytes: number): number {
  if (rows === 0) return Math.min(max, FIRST_PAGE_ROWS);
  const average = bytes / rows;
  return Math.max(1, Math.min(max, Math.floor(batchBytes / Math.max(1, average))));
}

/** Pages through the table after the checkpoint until it ends or the signal aborts. */
async function copyPages(
  ctx: CopyContext, tool: ToolSchema,
  run: TableRun,
  after: string[] | null,
): Promise<'done' | 'stopped'> {
  const reader = await ctx.pool.connect();
  try {
    return await copyPagesWith(reader, tool, ctx, run, after);
  } finally {
    reader.release();
  }
}

async function copyPagesWith(
  reader: pg.PoolClient, tool: ToolSchema,
  ctx: CopyContext,
  run: TableRun,
  after: string[] | null,
): Promise<'done' | 'stopped'> {
  const max = maxPageRows(ctx.options);
  const limits = packingLimits(ctx.options);
  const seen = { rows: 0, bytes: 0 };
  let limit = nextPageRows(max, ctx.options.batchBytes, 0, 0);
  let next: Promise<TimedPage> | null = timedRead(reader, tool, run.shape, after, limit);
  while (next) {
    const page: TimedPage = await next;
    next = null;
    if (page.rows.length === 0) break;
    const pauseMs = run.backoff.observe(page.ms, page.rows.length);
    if (pauseMs > 0)
      ctx.log.info(
        { table: run.shape.table, queryMs: Math.round(page.ms), pauseMs },
        'Postgres slower than usual; backfill pausing',
      );
    if (page.rows.length === limit) {
      // Rows past the end of a short page are newer than this run's snapshot:
      // capture sends them, so only a full page needs a next one.
      const last = page.rows.at(-1)!.keyValues;
      limit = nextPageRows(max, ctx.options.batchBytes, seen.rows, seen.bytes);
      const size = limit;
      next =
        pauseMs > 0
          ? pause(pauseMs, ctx.signal).then(() => timedRead(reader, tool, run.shape, last, size))
          : timedRead(reader, tool, run.shape, last, size);
      next.catch(() => undefined); // awaited on the next turn unless the run stops first
    }
    const plan = pageSteps(run.shape.table, page.rows, ctx.options.config, limits, run.nextCall);
    seen.rows += page.rows.length;
    seen.bytes += plan.bytes;
    for (const step of plan.steps) {
      if (!(await run.submit(step))) {
        await run.drain(); // what was sent before the stop is checkpointed
        return 'stopped';
      }
    }
    if (ctx.signal?.aborted) {
      await run.drain();
      return 'stopped';
    }
  }
  return (await run.drain()) ? 'done' : 'stopped';
}

export async function copyTable(
  ctx: CopyContext, tool: ToolSchema,
  shape: TableShape,
  state: BackfillState,
): Promise<TableBackfillResult> {
  const remaining = await countRemaining(
    ctx.pool,
    shape,
    state.lastKey,
    state.rowsCopied + state.rowsRejected,
  );
  const run = new TableRun(ctx, shape, state, remaining);
  await setRowsTotal(ctx.pool, tool, shape.table, run.progress.total);
  ctx.log.info(
    { table: shape.table, resumedAfter: state.lastKey, remaining },
    'backfill of table started',
  );
  ctx.onProgress?.({
    kind: 'table-start',
    table: shape.table,
    ...run.progress,
    resumed: state.lastKey !== null,
  });
  let outcome: 'done' | 'stopped';
  try {
    outcome = await copyPages(ctx, tool, run, state.lastKey);
  } catch (err) {
    await stopTable(ctx.pool, tool, shape.table, (err as Error)?.message ?? String(err)).catch(
      () => undefined,
    );
    throw err;
  }
  if (outcome === 'done') {
    await setRowsTotal(ctx.pool, tool, shape.table, run.progress.done);
    await finishTable(ctx.pool, tool, shape.table);
    ctx.onProgress?.({
      kind: 'table-done',
      table: shape.table,
      done: run.progress.done,
      total: run.progress.done,
    });
  } else {
    await stopTable(ctx.pool, tool, shape.table, null);
  }
  const result = run.finish(outcome);
  ctx.log.info({ ...result, resumedAfter: undefined }, `backfill of table ${outcome}`);
  return result;
}
