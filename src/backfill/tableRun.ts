/**
 * One table's run: sends its calls with up to `callsInFlight` awaiting Convex
 * at once (hiding the round trip), and commits them strictly in key order:
 * a call's checkpoint is saved only after it and every call before it were
 * acknowledged, so the checkpoint never passes a row Convex has not confirmed.
 * A call acknowledged after an earlier one failed is simply sent again on
 * resume, where the versioned apply skips it.
 */
import type pg from 'pg';
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import { TargetUnavailableError } from '../core/errors.js';
import type { Logger } from '../log.js';
import type { ApplyTarget } from '../relay/applyClaimed.js';
import { backoffDelayMs } from '../relay/retryPolicy.js';
import type { BackfillProgress, ResolvedOptions } from './options.js';
import type { PageStep } from './pageBatches.js';
import type { TableShape } from './readPage.js';
import { saveCheckpoint, type BackfillState } from './state.js';
import { LatencyBackoff, pause, type RateLimiter } from './throttle.js';
import { killPoint } from '../core/killPoints.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface TableBackfillResult {
  table: string;
  /** done: every row up to the end copied; stopped: aborted, resumable; skipped: already done earlier. */
  outcome: 'done' | 'stopped' | 'skipped';
  /** Rows Convex acknowledged in this run (applied or skipped). */
  copied: number;
  /** Of those, rows Convex already held at the same or a newer version. */
  skipped: number;
  rejected: number;
  calls: number;
  /** Checkpoint this run resumed after (null: from the first key). */
  resumedAfter: string[] | null;
  /** Key of the first row this run sent (null: it sent none). */
  firstKey: string | null;
  /** Rows acknowledged over all runs since the last restart. */
  totalCopied: number;
  seconds: number;
  backoffPauses: number;
  backoffMs: number;
}

export interface CopyContext {
  pool: pg.Pool;
  tool: ToolSchema;
  target: ApplyTarget;
  options: ResolvedOptions;
  log: Logger;
  limiter: RateLimiter | null;
  signal?: AbortSignal;
  onProgress?: (event: BackfillProgress) => void;
}

const NOTHING_SENT: ApplyResult = { applied: 0, skipped: 0 };

/**
 * Applies one call, waiting while Convex is unavailable or refuses the key
 * (neither is the rows' fault): exponential backoff with jitter, capped, for
 * as long as `outageLimitMs` allows (default: until aborted), each wait shown
 * in the progress output. Null when aborted before it was acknowledged.
 */
async function applyWithRetry(
  ctx: CopyContext,
  table: string,
  batches: TransactionBatch[],
): Promise<ApplyResult | null> {
  let outageStarted: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      killPoint('backfill.beforeApply');
      return await ctx.target.applyBatch(batches);
    } catch (err) {
      if (!(err instanceof TargetUnavailableError)) throw err;
      const now = ctx.options.now();
      outageStarted ??= now;
      const outageMs = now - outageStarted;
      if (outageMs >= ctx.options.outageLimitMs)
        throw new TargetUnavailableError(
          `Convex unavailable for ${Math.round(outageMs / 1000)} s (limit ${Math.round(ctx.options.outageLimitMs / 1000)} s): ${err.message}`,
          { cause: err },
        );
      const wait = backoffDelayMs(attempt, ctx.options.retry);
      ctx.log.warn(
        { table, txid: batches[0]?.txid, attempt, outageMs, waitMs: wait, err: err.message },
        'Convex unavailable; backfill waiting',
      );
      ctx.onProgress?.({ kind: 'waiting', table, reason: err.message, outageMs, waitMs: wait });
      await pause(wait, ctx.signal);
      if (ctx.signal?.aborted) return null;
    }
  }
}

interface InFlight {
  step: PageStep;
  answer: Promise<ApplyResult | null>;
}

export class TableRun {
  readonly result: TableBackfillResult;
  readonly backoff: LatencyBackoff;
  private done: number;
  private readonly total: number;
  private calls = 0;
  private readonly started = performance.now();
  private readonly window: InFlight[] = [];

  constructor(
    private readonly ctx: CopyContext,
    readonly shape: TableShape,
    state: BackfillState,
    remaining: number,
  ) {
    this.done = state.rowsCopied + state.rowsRejected;
    this.total = this.done + remaining;
    this.backoff = new LatencyBackoff(ctx.options.latencyBackoff);
    this.result = {
      table: shape.table,
      outcome: 'stopped',
      copied: 0,
      skipped: 0,
      rejected: 0,
      calls: 0,
      resumedAfter: state.lastKey,
      firstKey: null,
      totalCopied: state.rowsCopied,
      seconds: 0,
      backoffPauses: 0,
      backoffMs: 0,
    };
  }

  get progress(): { done: number; total: number } {
    return { done: this.done, total: Math.max(this.total, this.done) };
  }

  nextCall = (): number => ++this.calls;

  /** Sends a step (after committing the oldest when the window is full); false when the run must stop. */
  async submit(step: PageStep): Promise<boolean> {
    while (this.window.length >= this.ctx.options.callsInFlight) {
      if (!(await this.commitOldest())) return false;
    }
    if (!step.batches) {
      this.window.push({ step, answer: Promise.resolve(NOTHING_SENT) });
      return true;
    }
    await pause(this.ctx.limiter?.take(step.rows) ?? 0, this.ctx.signal);
    if (this.ctx.signal?.aborted) return false;
    const answer = applyWithRetry(this.ctx, this.shape.table, step.batches);
    answer.catch(() => undefined); // awaited in commitOldest unless the run fails first
    this.window.push({ step, answer });
    this.result.firstKey ??= step.firstKey;
    return true;
  }

  /** Waits for every call in flight and commits them in order; false when one was not acknowledged. */
  async drain(): Promise<boolean> {
    while (this.window.length > 0) {
      if (!(await this.commitOldest())) return false;
    }
    return true;
  }

  private async commitOldest(): Promise<boolean> {
    const { step, answer } = this.window.shift()!;
    const applied = await answer;
    if (!applied) {
      this.window.length = 0; // later calls are not committed: resent on resume
      return false;
    }
    killPoint('backfill.afterApply');
    await saveCheckpoint(this.ctx.pool, this.ctx.tool, this.shape.table, {
      lastKey: step.checkpoint,
      copied: step.rows,
      skipped: applied.skipped,
      rejected: step.rejected,
    });
    killPoint('backfill.afterCheckpoint');
    this.count(step, applied);
    return true;
  }

  private count(step: PageStep, applied: ApplyResult): void {
    const { ctx, result } = this;
    if (step.batches) result.calls += 1;
    result.copied += step.rows;
    result.totalCopied += step.rows;
    result.skipped += applied.skipped;
    result.rejected += step.rejected.length;
    this.done += step.rows + step.rejected.length;
    for (const r of step.rejected)
      ctx.log.warn(
        { table: this.shape.table, key: r.key, rule: r.rule, column: r.column },
        r.reason,
      );
    ctx.onProgress?.({
      kind: 'batch',
      table: this.shape.table,
      ...this.progress,
      rows: step.rows,
      firstKey: step.firstKey,
      lastKey: step.lastKey,
    });
  }

  finish(outcome: 'done' | 'stopped'): TableBackfillResult {
    this.result.outcome = outcome;
    this.result.seconds = (performance.now() - this.started) / 1000;
    this.result.backoffPauses = this.backoff.pauses;
    this.result.backoffMs = Math.round(this.backoff.pausedMs);
    return this.result;
  }
}
