/**
 * What bounds how many reads at `shadow` are compared: a share of reads
 * (`sampleRate`), a budget per read per second (`maxPerSecond`) and a cap on
 * comparisons under way (`maxInFlight`); their checks, and the budget's
 * token buckets.
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
