/**
 * Records every call, for tests and for benchmarks of the relay and backfill
 * that should not be bounded by the embedded runtime's speed. Optionally
 * models a round-trip latency per call and delegates to another target;
 * without a delegate, applyBatch counts every change as applied and
 * exportPage returns an empty, finished page.
 */
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import type { ConvexTarget, ExportOptions, ExportPage } from './target.js';

export type RecordedCall =
  | {
      method: 'applyBatch';
      transactions: TransactionBatch[];
      result?: ApplyResult;
      error?: unknown;
    }
  | {
      method: 'exportPage';
      table: string;
      cursor: string | null;
      numItems: number;
      options: ExportOptions;
      result?: ExportPage;
      error?: unknown;
    };

export interface RecordingConvexTargetOptions {
  /** Added before each call completes, modelling the network round trip. Default 0. */
  latencyMs?: number;
  delegate?: ConvexTarget;
}

export class RecordingConvexTarget implements ConvexTarget {
  readonly kind = 'recording' as const;
  readonly calls: RecordedCall[] = [];
  private readonly latencyMs: number;
  private readonly delegate: ConvexTarget | undefined;

  constructor(options: RecordingConvexTargetOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.delegate = options.delegate;
  }

  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    const call: RecordedCall = { method: 'applyBatch', transactions };
    this.calls.push(call);
    return this.complete(call, async () => {
      if (this.delegate) return this.delegate.applyBatch(transactions);
      return { applied: transactions.reduce((n, tx) => n + tx.changes.length, 0), skipped: 0 };
    });
  }

  async exportPage(
    table: string,
    cursor: string | null,
    numItems: number,
    options: ExportOptions = {},
  ): Promise<ExportPage> {
    const call: RecordedCall = { method: 'exportPage', table, cursor, numItems, options };
    this.calls.push(call);
    return this.complete(call, async () => {
      if (this.delegate) return this.delegate.exportPage(table, cursor, numItems, options);
      return { page: [], isDone: true, continueCursor: cursor ?? '' };
    });
  }

  /** Every change sent in applyBatch calls, in call order. */
  appliedChanges(): TransactionBatch['changes'] {
    return this.calls.flatMap((c) =>
      c.method === 'applyBatch' ? c.transactions.flatMap((tx) => tx.changes) : [],
    );
  }

  async close(): Promise<void> {
    await this.delegate?.close?.();
  }

  private async complete<T extends ApplyResult | ExportPage>(
    call: RecordedCall,
    run: () => Promise<T>,
  ): Promise<T> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    try {
      const result = await run();
      (call as { result?: T }).result = result;
      return result;
    } catch (error) {
      call.error = error;
      throw error;
    }
  }
}
