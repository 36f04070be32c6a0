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
