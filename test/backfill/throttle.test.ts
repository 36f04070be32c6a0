import { describe, expect, it } from 'vitest';
import { LatencyBackoff, RateLimiter } from '../../src/backfill/index.js';

describe('RateLimiter', () => {
  it('lets one second of budget through at once, then paces to the rate', () => {
    let now = 0;
    const limiter = new RateLimiter(100, () => now);
    expect(limiter.take(50)).toBe(0);
    expect(limiter.take(50)).toBe(0);
    expect(limiter.take(50)).toBe(500);
    now += 500;
    expect(limiter.take(50)).toBe(500);
    now += 500;
    now += 10_000; // idle: saves at most one second of budget
    expect(limiter.take(100)).toBe(0);
    expect(limiter.take(100)).toBe(1000);
  });

  it('a request larger than the bucket waits for a full bucket and leaves a debt', () => {
    const limiter = new RateLimiter(10, () => 0);
    expect(limiter.take(30)).toBe(0);
    expect(limiter.take(10)).toBe(3000);
  });
});

describe('LatencyBackoff', () => {
  const options = { factor: 3, minExcessMs: 20, alpha: 0.1, maxPauseMs: 1000, warmup: 3 };

  it('pauses for twice the excess over the baseline when a query is much slower, capped', () => {
    const backoff = new LatencyBackoff(options);
    expect([10, 10, 10, 10].map((ms) => backoff.observe(ms))).toEqual([0, 0, 0, 0]);
    expect(backoff.baselineMs).toBe(10);
    expect(backoff.observe(25)).toBe(0); // not 3x
    // The slow sample moved the baseline a tenth of the way to 20 (25 capped at twice 10).
    expect(backoff.baselineMs).toBe(11);
    expect(backoff.observe(100)).toBe(178); // twice the excess over 11
    expect(backoff.observe(5000)).toBe(1000);
    expect(backoff.pauses).toBe(2);
  });

  it('ignores slow queries during warm-up and small absolute rises', () => {
    const backoff = new LatencyBackoff(options);
    expect([1, 50, 1].map((ms) => backoff.observe(ms))).toEqual([0, 0, 0]);
    const quiet = new LatencyBackoff(options);
    [2, 2, 2, 2].forEach((ms) => quiet.observe(ms));
    expect(quiet.observe(15)).toBe(0); // 7x, but only 13 ms more
  });

  it('compares time per row: a page 100x larger is not a slowdown, the same page 5x slower is', () => {
    const backoff = new LatencyBackoff(options);
    [20, 20, 20, 20].forEach(() => backoff.observe(10, 20)); // 0.5 ms a row
    expect([1000, 1000, 1000].map(() => backoff.observe(1000, 2000))).toEqual([0, 0, 0]);
    expect(backoff.baselineMs).toBe(0.5);
    // 2.5 ms a row against 0.5: 4000 ms over the baseline for the page, paused twice that, capped.
    expect(backoff.observe(5000, 2000)).toBe(1000);
    expect(backoff.pauses).toBe(1);
    const uncapped = new LatencyBackoff({ ...options, maxPauseMs: 60_000 });
    [20, 20, 20, 20].forEach(() => uncapped.observe(10, 20));
    expect(uncapped.observe(5000, 2000)).toBe(8000);
    expect(uncapped.pausedMs).toBe(8000);
  });

  it('a lasting slowdown raises the baseline slowly, so pauses continue for a while', () => {
    const backoff = new LatencyBackoff(options);
    [10, 10, 10, 10].forEach((ms) => backoff.observe(ms));
    // The baseline moves by at most 10% a page, so it takes 20 pages at 20x to accept 200 ms as normal.
    const pauses = Array.from({ length: 24 }, () => backoff.observe(200));
    expect(pauses.slice(0, 20).every((p) => p > 250)).toBe(true);
    expect(pauses.slice(20)).toEqual([0, 0, 0, 0]);
  });
});
