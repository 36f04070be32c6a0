/**
 * Retry timing and the circuit breaker. Pure: time and randomness are passed in.
 */

export interface RetryPolicy {
  /** Attempts (applies that failed) before an event goes to dead letters. */
  budget: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { budget: 8, baseDelayMs: 200, maxDelayMs: 60_000 };

/**
 * Exponential backoff with full jitter: a uniformly random delay up to
 * base·2^(attempt-1), capped. Jitter spreads retries of many workers so a
 * recovering Convex is not hit by all of them at once.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive transient failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, cooldownMs: 5_000 };

/**
 * Opens after consecutive failures of the target as a whole (an outage), so
 * the relay waits instead of spending every event's retry budget on it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.options.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a call may be made now (closed, or half-open for a probe). */
  allows(): boolean {
    return this.state !== 'open';
  }

  /** Milliseconds until a probe is allowed (0 when allowed now). */
  waitMs(): number {
    if (this.openedAt === null) return 0;
    return Math.max(0, this.options.cooldownMs - (this.now() - this.openedAt));
  }

  /** Failures since the last success (0 when the target last answered). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = null;
  }

  /** Returns true when this failure opened (or re-opened) the circuit. */
  recordFailure(): boolean {
    this.failures += 1;
    if (this.state === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      return true;
    }
    return false;
  }
}
