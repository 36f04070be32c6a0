/** References to Tandem's Convex functions by path (they are internal, so not in the public `api`). */
import { makeFunctionReference } from 'convex/server';
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import type { ExportPage } from './target.js';

export const APPLY_BATCH_PATH = 'tandem:applyBatch';
export const EXPORT_PAGE_PATH = 'tandem:exportPage';

export type ExportPageArgs = {
  table: string;
  cursor: string | null;
  numItems: number;
  maxBytes?: number;
};

export const applyBatchRef = makeFunctionReference<
  'mutation',
  { transactions: TransactionBatch[] },
  ApplyResult
>(APPLY_BATCH_PATH);
export const exportPageRef = makeFunctionReference<'query', ExportPageArgs, ExportPage>(
  EXPORT_PAGE_PATH,
);

export function exportArgs(
  table: string,
  cursor: string | null,
  numItems: number,
  maxBytes?: number,
): ExportPageArgs {
  return maxBytes === undefined
    ? { table, cursor, numItems }
    : { table, cursor, numItems, maxBytes };
}
