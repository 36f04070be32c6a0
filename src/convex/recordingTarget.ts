/**
 * Records every call, for tests and for benchmarks of the relay and backfill
 * that should not be bounded by the embedded runtime's speed. Optionally
 * models a round-trip latency per call and delegates to another target;
 * without a delegate, applyBatch counts every change as applied and
 * exportPage returns an empty, finished page.
 */
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import type { ConvexTarget, ExportOptions, ExportPage, ParityReader } from './target.js';

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
    }
  | {
      method: 'parity';
      /** The ParityReader method called. */
      name: keyof ParityReader;
      args: unknown[];
      result?: unknown;
      error?: unknown;
    };

export interface RecordingConvexTargetOptions {
  /** Added before each call completes, modelling the network round trip. Default 0. */
  latencyMs?: number;
  /** Receives every call; parity reads need a delegate that is also a ParityReader. */
  delegate?: ConvexTarget & Partial<ParityReader>;
}

export class RecordingConvexTarget implements ConvexTarget, ParityReader {
  readonly kind = 'recording' as const;
  readonly calls: RecordedCall[] = [];
  private readonly latencyMs: number;
  private readonly delegate: (ConvexTarget & Partial<ParityReader>) | undefined;

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

  rangeDigest(...args: Parameters<ParityReader['rangeDigest']>) {
    return this.parityCall('rangeDigest', args, { count: 0, sum: '0000000000000000', continueCursor: null });
  }

  rangeRowHashes(...args: Parameters<ParityReader['rangeRowHashes']>) {
    return this.parityCall('rangeRowHashes', args, { rows: [], continueCursor: null });
  }

  rowsByKeys(...args: Parameters<ParityReader['rowsByKeys']>) {
    return this.parityCall('rowsByKeys', args, []);
  }

  countRows(...args: Parameters<ParityReader['countRows']>) {
    return this.parityCall('countRows', args, { count: 0, continueCursor: null });
  }

  query(...args: Parameters<ParityReader['query']>): Promise<unknown> {
    return this.parityCall('query', args, null);
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

  /** Without a delegate, parity reads see an empty Convex. */
  private async parityCall<K extends keyof ParityReader>(
    name: K,
    args: Parameters<ParityReader[K]>,
    empty: Awaited<ReturnType<ParityReader[K]>>,
  ): Promise<Awaited<ReturnType<ParityReader[K]>>> {
    const call: RecordedCall = { method: 'parity', name, args };
    this.calls.push(call);
    type Result = Awaited<ReturnType<ParityReader[K]>>;
    const method = this.delegate?.[name] as ((...a: unknown[]) => Promise<Result>) | undefined;
    return this.complete<Result>(call, () =>
      method ? method.apply(this.delegate, args) : Promise.resolve(empty),
    );
  }

  private async complete<T>(
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
