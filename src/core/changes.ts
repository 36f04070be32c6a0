/**
 * The contract between capture (Postgres), the relay, and the Convex apply
 * function. Pure types and a few helpers; no I/O.
 *
 * A captured change is one row of the outbox. Its `seq` (the outbox sequence,
 * drawn in an AFTER row trigger, i.e. while the row lock is held) is the row
 * version: strictly increasing per (table, key) in commit order. The
 * idempotency key of a change is `table:key:version`.
 */

/** What the trigger saw. */
export type CaptureOp = 'insert' | 'update' | 'delete';

/** What Convex is asked to do with the row. */
export type ApplyOp = 'upsert' | 'delete';

/** One outbox row as the relay reads it. */
export interface CapturedChange {
  /** Outbox sequence number; also the row version. */
  seq: number;
  /** Postgres transaction id (xid8, as text): changes of one txid are applied in one mutation. */
  txid: string;
  table: string;
  /** Canonical key text (see `canonicalKey`). */
  key: string;
  op: CaptureOp;
  /** The row after the change as Postgres JSON (to_jsonb), with int8/numeric columns as text; null for delete. */
  row: Record<string, unknown> | null;
  /**
   * Heavy columns the trigger left out of an update's `row` because the update
   * did not change them (the companion content stays as Convex has it).
   */
  unchanged?: string[];
  /** Set by the mirror helper with SET LOCAL; null means an untracked write. */
  operationKey: string | null;
}

/** A row change mapped to Convex values, ready to apply. */
export interface MappedChange {
  table: string;
  key: string;
  version: number;
  op: ApplyOp;
  /** Mapped columns stored in the table's own document (upsert only). */
  doc?: Record<string, unknown>;
  /** Mapped heavy columns stored in the companion content table (upsert only, tables with heavy columns). */
  content?: Record<string, unknown>;
  /**
   * Upsert of a table with heavy columns whose update left them unchanged:
   * `content` is absent and the companion document is kept as it is.
   */
  keepContent?: true;
}

/** All changes of one Postgres transaction (or one part of one too large for a mutation). */
export interface TransactionBatch {
  txid: string;
  changes: MappedChange[];
}

export interface ApplyResult {
  /** Changes that took effect (newer than what Convex had). */
  applied: number;
  /** Changes that were no-ops: same or older version, or blocked by a newer tombstone. */
  skipped: number;
}

/**
 * Canonical text of a primary key: the value's text for a one-column key
 * (`5`, `img-a`), a JSON array of the values' texts for a composite key
 * (`["5","en"]`). Must agree with the SQL expression the capture trigger uses
 * (src/capture/rowImageSql.ts): values are to_jsonb's texts, and a timestamptz
 * part is its UTC text, which mapRow's rowKey converts before calling this.
 */
export function canonicalKey(values: readonly unknown[]): string {
  const texts = values.map((v) => (v instanceof Date ? v.toISOString() : String(v)));
  return texts.length === 1 ? texts[0]! : JSON.stringify(texts);
}

export function idempotencyKey(change: Pick<MappedChange, 'table' | 'key' | 'version'>): string {
  return `${change.table}:${change.key}:${change.version}`;
}
