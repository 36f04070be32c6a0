/** What a parity check reports for one table. */
import type { KeyValue } from './keys.js';

export type ParityMode = 'count' | 'sample' | 'full';
export type DriftKind = 'missing' | 'extra' | 'different';

/** Candidate drift as a comparison saw it, before pending events are taken into account. */
export interface DriftCandidates {
  missing: Set<string>;
  extra: Set<string>;
  different: Set<string>;
}

export const noCandidates = (): DriftCandidates => ({ missing: new Set(), extra: new Set(), different: new Set() });

export interface ColumnDifference {
  key: KeyValue;
  /**
   * Columns whose mapped values differ, with both sides' values. A field the
   * Convex document does not have at all has `convex: null` and
   * `convexMissing: true`, so it is not mistaken for a stored null.
   */
  columns: Array<{ column: string; postgres: unknown; convex: unknown; convexMissing?: true }>;
}

/** One differing column as `tandem parity` prints it: `name (postgres 4, convex 9)`, `convex (missing)` for an absent field. */
export function columnDifferenceText(c: ColumnDifference['columns'][number]): string {
  const convex = c.convexMissing ? '(missing)' : JSON.stringify(c.convex);
  return `${c.column} (postgres ${JSON.stringify(c.postgres)}, convex ${convex})`;
}

/** A drifted row whose Postgres values Convex cannot store: the mapping rule it breaks. */
export interface UnrepresentableRow {
  key: KeyValue;
  column: string | null;
  rule: string;
  reason: string;
}

export interface TableParity {
  table: string;
  mode: ParityMode;
  pgRows: number;
  convexRows: number;
  /** Rows compared by hash (all rows in full mode, the sample in sample mode, 0 in count mode). */
  compared: number;
  missing: KeyValue[];
  extra: KeyValue[];
  different: KeyValue[];
  /** Keys with events still pending in the outbox after the bounded wait: not drift, not yet checked. */
  pending: KeyValue[];
  /** Differing columns of the first few different keys. */
  differences: ColumnDifference[];
  /** Drifted rows Convex cannot store as they are, with the reason (fix the row, then repair). */
  unrepresentable: UnrepresentableRow[];
  /** Set when the check is not what was asked literally (e.g. a sample as large as the table). */
  note?: string;
  clean: boolean;
  startedAt: Date;
  finishedAt: Date;
}

export interface ParityReport {
  tables: Record<string, TableParity>;
  clean: boolean;
}
