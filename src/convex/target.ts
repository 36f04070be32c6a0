/**
 * The port through which the mirror reaches Convex. Implementations: a real
 * deployment over HTTP (HttpConvexTarget), the project's convex/ functions run
 * in-process by convex-test (EmbeddedConvexTarget), and a recorder for tests
 * and benchmarks (RecordingConvexTarget).
 */
import type { ApplyResult, TransactionBatch } from '../core/changes.js';

/** One mirrored row as Convex holds it: Postgres columns under their Postgres names (heavy ones joined in). */
export interface ExportedRow {
  key: string;
  version: number;
  columns: Record<string, unknown>;
}

/** A page of exportPage: rows in pgKey order (Convex string order); pass continueCursor to get the next. */
export interface ExportPage {
  page: ExportedRow[];
  isDone: boolean;
  continueCursor: string;
}

export interface ExportOptions {
  /** Cap on returned bytes (Convex value size); default 4 MiB, at most 6 MiB. */
  maxBytes?: number;
}

export type ConvexTargetKind = 'embedded' | 'http' | 'recording';

export interface ConvexTarget {
  readonly kind: ConvexTargetKind;
  /** Applies the transactions in one Convex mutation: all or nothing. */
  applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult>;
  /** One page of a mirrored table; `cursor` null for the first page. */
  exportPage(
    table: string,
    cursor: string | null,
    numItems: number,
    options?: ExportOptions,
  ): Promise<ExportPage>;
  close?(): Promise<void>;
}

/** A key range (after, upTo] in pgKey order (Convex's string order, Postgres's COLLATE "C"); null is open. */
export interface KeyRange {
  after: string | null;
  upTo: string | null;
}

/** Count and digest (sum mod 2^64 of row-hash prefixes, 16 hex digits) of one page of a range. */
export interface RangeDigestPage {
  count: number;
  sum: string;
  /** Pass back to read the rest of the range; null when the range is finished. */
  continueCursor: string | null;
}

export interface RowHash {
  key: string;
  version: number;
  /** Canonical hash (sha256 hex) of the row's mapped columns, as canonicalHash computes it. */
  hash: string;
}

export interface RangeRowsPage {
  rows: RowHash[];
  continueCursor: string | null;
}

export interface HashedRow extends RowHash {
  columns: Record<string, unknown>;
}

export interface CountPage {
  count: number;
  continueCursor: string | null;
}

/**
 * What parity and the invariant checker read from Convex. Each method is one
 * round trip reading one bounded page; callers page on with continueCursor.
 */
export interface ParityReader {
  rangeDigest(table: string, range: KeyRange, cursor: string | null, maxRows: number): Promise<RangeDigestPage>;
  rangeRowHashes(table: string, range: KeyRange, cursor: string | null, maxRows: number): Promise<RangeRowsPage>;
  /** Rows Convex holds for these keys (at most 200 per call); absent keys are left out. */
  rowsByKeys(table: string, keys: string[]): Promise<HashedRow[]>;
  countRows(table: string, cursor: string | null, maxRows: number): Promise<CountPage>;
  /**
   * Runs one of the application's own Convex queries by path (`module:function`),
   * as an invariant suite does: the tool only carries the call.
   */
  query(path: string, args: Record<string, unknown>): Promise<unknown>;
}
