/**
 * Queries as convex/server serializes them into syscalls, and what
 * convex-test's DatabaseFake makes of them: the shapes the indexed store
 * reads and returns, plus the decoding of the values inside (bounds and page
 * cursors) as convex-test decodes them.
 */
import { jsonToConvex, type Value } from 'convex/values';
import type { IndexKey, RangeExpression } from './indexKeys.js';
import type { StoredDocument } from './tableIndexes.js';

export type QuerySource =
  | { type: 'FullTableScan'; tableName: string; order?: 'asc' | 'desc' | null }
  | {
      type: 'IndexRange';
      indexName: string;
      range: RangeExpression[];
      order?: 'asc' | 'desc' | null;
    }
  | { type: 'Search'; indexName: string };

export interface SerializedQuery {
  source: QuerySource;
  operators: unknown[];
}

/** convex-test's `_resolveQuerySource` result: the documents in order, and how to filter and cut them. */
export interface ResolvedQuery {
  sortedDocs: StoredDocument[];
  filterFn: (document: StoredDocument) => boolean;
  limit: number | null;
  fieldPathsToSortBy: string[];
  order: 'asc' | 'desc';
}

export interface PaginateArgs {
  query: SerializedQuery;
  cursor: string | null;
  endCursor?: string | null;
  pageSize: number;
  maximumRowsRead?: number | null;
  maximumBytesRead?: number | null;
}

export interface PageResult {
  isDone: boolean;
  [key: string]: unknown;
}

/** A bound or literal of a query as convex-test evaluates it (`{ $undefined }` is undefined). */
export function decodeQueryValue(value: unknown): Value | undefined {
  if (typeof value === 'object' && value !== null && '$undefined' in value) return undefined;
  return jsonToConvex(value as never);
}

/** A page cursor as convex-test encodes it: a JSON array, null for undefined, else JSON-encoded Convex values. */
export function decodeCursor(cursor: string): IndexKey | undefined {
  try {
    const parts = JSON.parse(cursor) as Array<string | null>;
    if (!Array.isArray(parts)) return undefined;
    return parts.map((part) =>
      part === null ? undefined : jsonToConvex(JSON.parse(part) as never),
    );
  } catch {
    return undefined;
  }
}
