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

/** A transaction whose changes each have this size and these index ranges. */
function sized(txid: string, n: number, size: number, range: number, firstSeq = 1): SizedTransaction {
  const t = tx(txid, n, size, firstSeq);
  return { ...t, ranges: t.ranges.map(() => range) };
}

const parts = (calls: ReturnType<typeof packTransactions>) => calls.map((c) => c.batches.map((b) => `${b.txid}:${b.changes.length}`));

// Each limit is inclusive: a call may hold exactly the limit, not one more.
// Each case is the same shape per limit, so a `>` turned `>=` (or a limit
// dropped) in any of the six comparisons changes one expected split.
describe('packing limits are inclusive, on each of the three', () => {
  const roomy = { maxChanges: 100, maxBytes: 10_000, maxIndexRanges: 100 };
  const cases = [
    { limit: 'changes', limits: { ...roomy, maxChanges: 4 }, change: { size: 10, range: 1 } },
    { limit: 'bytes', limits: { ...roomy, maxBytes: 40 }, change: { size: 10, range: 1 } },
    { limit: 'index ranges', limits: { ...roomy, maxIndexRanges: 8 }, change: { size: 10, range: 2 } },
  ];

  for (const { limit, limits, change } of cases) {
    it(`packs two transactions that reach the ${limit} limit exactly into one call, and one more into the next`, () => {
      const exact = packTransactions([sized('a', 2, change.size, change.range, 1), sized('b', 2, change.size, change.range, 3)], limits);
      expect(parts(exact)).toEqual([['a:2', 'b:2']]);
      const over = packTransactions(
        [sized('a', 2, change.size, change.range, 1), sized('b', 2, change.size, change.range, 3), sized('c', 1, change.size, change.range, 5)],
        limits,
      );
      expect(parts(over)).toEqual([['a:2', 'b:2'], ['c:1']]);
    });

    it(`keeps a transaction at the ${limit} limit whole, and splits one just over it into full parts`, () => {
      const whole = packTransactions([sized('w', 4, change.size, change.range)], limits);
      expect(whole.map((c) => [parts([c])[0], c.splitTxids, c.seqs])).toEqual([[['w:4'], [], [1, 2, 3, 4]]]);
      const split = packTransactions([sized('s', 9, change.size, change.range)], limits);
      expect(split.map((c) => [parts([c])[0], c.splitTxids, c.seqs])).toEqual([
        [['s:4'], ['s'], []],
        [['s:4'], ['s'], []],
        [['s:1'], ['s'], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
      ]);
    });
  }

  it('packs by default up to 4 MiB of mapped data per call', () => {
    const mib = 1024 * 1024;
    expect(parts(packTransactions([sized('a', 1, 2 * mib, 1, 1), sized('b', 1, 2 * mib, 1, 2)]))).toEqual([['a:1', 'b:1']]);
    expect(parts(packTransactions([sized('a', 1, 2 * mib, 1, 1), sized('b', 1, 2 * mib + 1, 1, 2)]))).toEqual([['a:1'], ['b:1']]);
  });

  it('gives a single change larger than every limit a part of its own, never an empty call', () => {
    const calls = packTransactions([sized('x', 3, 100, 20)], { maxChanges: 10, maxBytes: 40, maxIndexRanges: 8 });
    expect(calls.map((c) => [parts([c])[0], c.seqs])).toEqual([
      [['x:1'], []],
      [['x:1'], []],
      [['x:1'], [1, 2, 3]],
    ]);
  });

  it('flushes the call in progress before the parts of a split transaction, and starts afresh after them', () => {
    const calls = packTransactions([sized('a', 1, 10, 1, 1), sized('big', 6, 10, 1, 2), sized('b', 1, 10, 1, 8), sized('c', 3, 10, 1, 9)], {
      ...roomy,
      maxChanges: 4,
    });
    expect(parts(calls)).toEqual([['a:1'], ['big:4'], ['big:2'], ['b:1', 'c:3']]);
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
