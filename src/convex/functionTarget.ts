/**
 * What the embedded and http targets share: both run this project's Convex
 * functions by reference and differ only in how a query or mutation is sent
 * (convex-test in-process, or ConvexHttpClient over HTTP).
 */
import { makeFunctionReference, type FunctionReference } from 'convex/server';
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import { applyBatchRef, exportArgs, exportPageRef, parityReaderOver } from './functionRefs.js';
import type {
  ConvexTarget,
  ConvexTargetKind,
  ExportOptions,
  ExportPage,
  ParityReader,
} from './target.js';

export abstract class FunctionTarget implements ConvexTarget, ParityReader {
  abstract readonly kind: ConvexTargetKind;
  private readonly parity: ParityReader = parityReaderOver((ref, args) => this.runQuery(ref, args));

  protected abstract runQuery<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'query', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result>;

  protected abstract runMutation<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'mutation', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result>;

  /** Applies the transactions in one Convex mutation: all or nothing. */
  applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    return this.runMutation(applyBatchRef, { transactions });
  }

  exportPage(
    table: string,
    cursor: string | null,
    numItems: number,
    options: ExportOptions = {},
  ): Promise<ExportPage> {
    return this.runQuery(exportPageRef, exportArgs(table, cursor, numItems, options.maxBytes));
  }

  /** Runs any query of the folder by path (the reverse-sync worker's change-log reads). */
  runQueryByPath(path: string, args: Record<string, unknown>): Promise<unknown> {
    return this.runQuery(
      makeFunctionReference<'query', Record<string, unknown>, unknown>(path),
      args,
    );
  }

  /** Runs any mutation of the folder by path (the reverse-sync worker's prune and version floor). */
  runMutationByPath(path: string, args: Record<string, unknown>): Promise<unknown> {
    return this.runMutation(
      makeFunctionReference<'mutation', Record<string, unknown>, unknown>(path),
      args,
    );
  }

  rangeDigest(...args: Parameters<ParityReader['rangeDigest']>) {
    return this.parity.rangeDigest(...args);
  }

  rangeRowHashes(...args: Parameters<ParityReader['rangeRowHashes']>) {
    return this.parity.rangeRowHashes(...args);
  }

  rowsByKeys(...args: Parameters<ParityReader['rowsByKeys']>) {
    return this.parity.rowsByKeys(...args);
  }

  countRows(...args: Parameters<ParityReader['countRows']>) {
    return this.parity.countRows(...args);
  }

  query(...args: Parameters<ParityReader['query']>) {
    return this.parity.query(...args);
  }

  /** Runs one of the application's own Convex mutations by path (`module:function`), e.g. a write path. */
  mutation(path: string, args: Record<string, unknown>): Promise<unknown> {
    return this.runMutation(
      makeFunctionReference<'mutation', Record<string, unknown>, unknown>(path),
      args,
    );
  }
}
