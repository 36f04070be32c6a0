/**
 * What bounds how many reads at `shadow` are compared: a share of reads
 * (`sampleRate`), a budget per read per second (`maxPerSecond`), a share of
 * all the reads served (`maxShare`) and a cap on comparisons under way
 * (`maxInFlight`); their checks, and the budgets' token buckets.
 */
import { InvalidInputError } from '../core/errors.js';

/** A share of reads: a finite number from 0 to 1. */
export function checkSampleRate(rate: number, field: string): void {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new InvalidInputError(field, `a share of reads from 0 to 1 is expected, got ${String(rate)}`);
}

export function checkMaxInFlight(cap: number): void {
  if (!(Number.isInteger(cap) && cap >= 1))
    throw new InvalidInputError('shadow.maxInFlight', `a whole number of comparisons, 1 or more, is expected, got ${String(cap)}`);
}

/**
 * `shadow.maxPerSecond`: a token bucket per read name, refilled at
 * `perSecond` and holding at most that many (at least one, so a budget under
 * one a second still compares a read now and then).
 */
export class ShadowBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(private readonly perSecond: number) {
    if (!(Number.isFinite(perSecond) && perSecond > 0))
      throw new InvalidInputError('shadow.maxPerSecond', `a positive number of comparisons per second is expected, got ${String(perSecond)}`);
    this.capacity = Math.max(1, perSecond);
  }

  /** Takes a token for `name` at `nowMs` if one is there (then the read is compared). */
  take(name: string, nowMs: number): boolean {
    let bucket = this.buckets.get(name);
    if (!bucket) this.buckets.set(name, (bucket = { tokens: this.capacity, at: nowMs }));
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.perSecond);
    bucket.at = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/**
 * `shadow.maxShare`: comparisons as a share of every read this reader routes,
 * at any stage. A bucket filled by reads, not by time: each read adds
 * `share` of a token (up to one), each comparison takes one. So however many
 * read paths there are and however busy each is, at most one read in
 * 1/share has a comparison's work land on it, which is what holds the
 * served reads' p99 (bench/storySiteReadStages.ts: p99 is the slowest read
 * in a hundred, and it moves once comparisons land on more than about one
 * read in a hundred). It starts full, so the first read is compared.
 */
export class ShadowShare {
  private tokens = 1;

  constructor(private readonly share: number) {
    if (!(Number.isFinite(share) && share > 0 && share <= 1))
      throw new InvalidInputError('shadow.maxShare', `a share of reads above 0 and at most 1 is expected, got ${String(share)}`);
  }

  /** Called for every read routed: its share of a token. */
  served(): void {
    this.tokens = Math.min(1, this.tokens + this.share);
  }

  /** Whether a comparison may start now (nothing is taken: see take). */
  get available(): boolean {
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }
}
