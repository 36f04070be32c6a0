import { describe, expect, it } from 'vitest';
import type { MappedChange } from '../../src/core/changes.js';
import { packTransactions, type SizedTransaction } from '../../src/relay/packing.js';
import { backoffDelayMs, CircuitBreaker } from '../../src/relay/retryPolicy.js';

function tx(txid: string, n: number, size = 10, firstSeq = 1): SizedTransaction {
  const changes: MappedChange[] = Array.from({ length: n }, (_, i) => ({ table: 't', key: `${txid}-${i}`, version: firstSeq + i, op: 'upsert', doc: {} }));
  return { txid, changes, sizes: changes.map(() => size), ranges: changes.map(() => 1), seqs: changes.map((c) => c.version) };
}

describe('packTransactions', () => {
  it('packs small transactions together, each whole', () => {
    const calls = packTransactions([tx('a', 3, 10, 1), tx('b', 3, 10, 4), tx('c', 3, 10, 7)], { maxChanges: 6, maxBytes: 1000, maxIndexRanges: 100 });
    expect(calls.map((c) => c.batches.map((b) => b.txid))).toEqual([['a', 'b'], ['c']]);
    expect(calls.map((c) => c.seqs)).toEqual([[1, 2, 3, 4, 5, 6], [7, 8, 9]]);
    expect(calls.every((c) => c.splitTxids.length === 0)).toBe(true);
  });

  it('starts a new call when bytes would overflow', () => {
    const calls = packTransactions([tx('a', 2, 400, 1), tx('b', 2, 400, 3)], { maxChanges: 100, maxBytes: 1000, maxIndexRanges: 100 });
    expect(calls.map((c) => c.batches.map((b) => b.txid))).toEqual([['a'], ['b']]);
  });

  it('splits a transaction too large for one mutation, completing its events with the last part', () => {
    const calls = packTransactions([tx('s', 1, 10, 100), tx('big', 5, 10, 1), tx('t', 1, 10, 200)], { maxChanges: 2, maxBytes: 1000, maxIndexRanges: 100 });
    expect(calls.map((c) => [c.batches.map((b) => `${b.txid}:${b.changes.length}`), c.seqs, c.splitTxids])).toEqual([
      [['s:1'], [100], []],
      [['big:2'], [], ['big']],
      [['big:2'], [], ['big']],
      [['big:1'], [1, 2, 3, 4, 5], ['big']],
      [['t:1'], [200], []],
    ]);
  });

  it('starts a new call when index ranges would exceed the mutation limit', () => {
    const calls = packTransactions([tx('a', 2, 10, 1), tx('b', 2, 10, 3)], { maxChanges: 100, maxBytes: 1000, maxIndexRanges: 3 });
    expect(calls.map((c) => c.batches.map((b) => b.txid))).toEqual([['a'], ['b']]);
  });
});

describe('retry policy', () => {
  it('backs off exponentially with jitter between half and all of the ceiling, capped', () => {
    const policy = { budget: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, policy, () => 0)).toBe(50);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(400);
    expect(backoffDelayMs(10, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(10, policy, () => 0)).toBe(500);
  });

  it('opens after consecutive failures, lets one probe through after the cooldown, closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, () => now);
    expect(breaker.recordFailure()).toBe(false);
    expect(breaker.recordFailure()).toBe(false);
    expect(breaker.recordFailure()).toBe(true);
    expect(breaker.state).toBe('open');
    expect(breaker.allows()).toBe(false);
    now = 400;
    expect(breaker.waitMs()).toBe(600);
    now = 1000;
    expect(breaker.state).toBe('half-open');
    expect(breaker.recordFailure()).toBe(true); // the probe failed: open again
    expect(breaker.state).toBe('open');
    now = 2000;
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.recordFailure()).toBe(false);
  });
});
