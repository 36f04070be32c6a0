/**
 * Packs mapped transactions into Convex mutation calls: small transactions
 * together (fewer round trips), each whole in one call; a transaction too big
 * for one mutation is split into parts, which the caller counts and logs.
 */
import type { MappedChange, TransactionBatch } from '../core/changes.js';

export interface PackingLimits {
  /** Changes per call. Each change writes a few documents; Convex allows 16,000 writes per mutation. */
  maxChanges: number;
  /** Approximate bytes of mapped data per call; Convex allows 16 MiB written per mutation. */
  maxBytes: number;
  /** Index ranges the apply function reads per call; Convex allows 4,096 per mutation. */
  maxIndexRanges: number;
}

export const DEFAULT_PACKING: PackingLimits = { maxChanges: 2_000, maxBytes: 4 * 1024 * 1024, maxIndexRanges: 3_500 };

export interface SizedTransaction {
  txid: string;
  changes: MappedChange[];
  /** Bytes of each change, in order. */
  sizes: number[];
  /** Index ranges the apply function reads for each change, in order. */
  ranges: number[];
  /** Outbox seqs the transaction's changes came from (completed together with it). */
  seqs: number[];
}

export interface PackedCall {
  batches: TransactionBatch[];
  seqs: number[];
  /** txids in this call that are only a part of their transaction. */
  splitTxids: string[];
}

function splitTransaction(t: SizedTransaction, limits: PackingLimits): PackedCall[] {
  const calls: PackedCall[] = [];
  let changes: MappedChange[] = [];
  let bytes = 0;
  let ranges = 0;
  const flush = () => {
    if (changes.length === 0) return;
    calls.push({ batches: [{ txid: t.txid, changes }], seqs: [], splitTxids: [t.txid] });
    changes = [];
    bytes = 0;
    ranges = 0;
  };
  t.changes.forEach((change, i) => {
    const size = t.sizes[i]!;
    const range = t.ranges[i]!;
    // A change too big on its own still gets a part (flush skips an empty one).
    const full =
      changes.length >= limits.maxChanges || bytes + size > limits.maxBytes || ranges + range > limits.maxIndexRanges;
    if (full) flush();
    changes.push(change);
    bytes += size;
    ranges += range;
  });
  flush();
  // The outbox events are completed only with the last part: a crash between
  // parts re-applies the earlier ones, which the versioned apply ignores.
  calls[calls.length - 1]!.seqs = t.seqs;
  return calls;
}

export function packTransactions(transactions: SizedTransaction[], limits: PackingLimits = DEFAULT_PACKING): PackedCall[] {
  const calls: PackedCall[] = [];
  let current: PackedCall = { batches: [], seqs: [], splitTxids: [] };
  let changes = 0;
  let bytes = 0;
  let ranges = 0;
  const flush = () => {
    if (current.batches.length > 0) calls.push(current);
    current = { batches: [], seqs: [], splitTxids: [] };
    changes = 0;
    bytes = 0;
    ranges = 0;
  };
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  for (const t of transactions) {
    const size = sum(t.sizes);
    const range = sum(t.ranges);
    if (t.changes.length > limits.maxChanges || size > limits.maxBytes || range > limits.maxIndexRanges) {
      flush();
      calls.push(...splitTransaction(t, limits));
      continue;
    }
    if (
      changes + t.changes.length > limits.maxChanges ||
      bytes + size > limits.maxBytes ||
      ranges + range > limits.maxIndexRanges
    ) {
      flush();
    }
    current.batches.push({ txid: t.txid, changes: t.changes });
    current.seqs.push(...t.seqs);
    changes += t.changes.length;
    bytes += size;
    ranges += range;
  }
  flush();
  return calls;
}
