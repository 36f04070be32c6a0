/** References to Tandem's Convex functions by path (they are internal, so not in the public `api`). */
import { makeFunctionReference, type FunctionReference } from 'convex/server';
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import type {
  CountPage,
  ExportPage,
  HashedRow,
  KeyRange,
  ParityReader,
  RangeDigestPage,
  RangeRowsPage,
} from './target.js';

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

/**
 * The parity queries live in the generated kit (`<convex dir>/tandem/parity.ts`);
 * an application's own queries (its invariant suite's) are called by path through `query`.
 */
export const PARITY_PATHS = {
  rangeDigest: 'tandem/parity:rangeDigest',
  rangeRowHashes: 'tandem/parity:rangeRowHashes',
  rowsByKeys: 'tandem/parity:rowsByKeys',
  countRows: 'tandem/parity:countRows',
} as const;

type RangeArgs = { table: string; range: KeyRange; cursor: string | null; maxRows: number };

export const rangeDigestRef = makeFunctionReference<'query', RangeArgs, RangeDigestPage>(
  PARITY_PATHS.rangeDigest,
);
export const rangeRowHashesRef = makeFunctionReference<'query', RangeArgs, RangeRowsPage>(
  PARITY_PATHS.rangeRowHashes,
);
export const rowsByKeysRef = makeFunctionReference<'query', { table: string; keys: string[] }, HashedRow[]>(
  PARITY_PATHS.rowsByKeys,
);
export const countRowsRef = makeFunctionReference<
  'query',
  { table: string; cursor: string | null; maxRows: number },
  CountPage
>(PARITY_PATHS.countRows);

/**
 * The parity reader over any function caller (convex-test's backend or
 * ConvexHttpClient): the embedded and http targets differ only in how they
 * run a query.
 */
export function parityReaderOver(
  runQuery: <Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'query', 'public', Args, Result>,
    args: Args,
  ) => Promise<Result>,
): ParityReader {
  return {
    rangeDigest: (table, range, cursor, maxRows) => runQuery(rangeDigestRef, { table, range, cursor, maxRows }),
    rangeRowHashes: (table, range, cursor, maxRows) =>
      runQuery(rangeRowHashesRef, { table, range, cursor, maxRows }),
    rowsByKeys: (table, keys) => runQuery(rowsByKeysRef, { table, keys }),
    countRows: (table, cursor, maxRows) => runQuery(countRowsRef, { table, cursor, maxRows }),
    query: (path, args) => runQuery(makeFunctionReference<'query', Record<string, unknown>, unknown>(path), args),
  };
}
