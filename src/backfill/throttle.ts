/**
 * The backfill's two brakes: a rows-per-second budget (token bucket) and a
 * back-off when Postgres answers the page queries markedly slower than usual.
 * Pure apart from the clock, which is passed in.
 */

export type Clock = () => number;

/**
 * Token bucket: `rate` rows per second, with at most one second of unused
 * budget saved up, so a pause (a slow page, a retry) is not followed by an
 * unbounded burst. A request larger than the bucket waits for it to fill and
 * then goes into debt, which the following requests pay off.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    private readonly now: Clock = () => performance.now(),
  ) {
    if (!(rate > 0)) throw new RangeError('rate must be positive');
    this.tokens = rate;
    this.last = now();
  }

  /** Milliseconds to wait before sending `rows` rows; the rows are counted as sent. */
  take(rows: number): number {
    const now = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    const wait =
      this.tokens >= Math.min(rows, this.rate)
        ? 0
        : ((Math.min(rows, this.rate) - this.tokens) / this.rate) * 1000;
    this.tokens -= rows;
    return wait;
  }
}

export interface LatencyBackoffOptions {
  /** A page query slower than factor × baseline counts as a rise. */
  factor: number;
  /** ...and only when it is also this many ms above the baseline (noise on fast queries). */
  minExcessMs: number;
  /** Weight of a new sample in the moving baseline. */
  alpha: number;
  /** Longest single pause. */
  maxPauseMs: number;
  /** Samples before the baseline is trusted (the first queries warm caches). */
  warmup: number;
}

export const DEFAULT_LATENCY_BACKOFF: LatencyBackoffOptions = {
  factor: 3,
  minExcessMs: 20,
  alpha: 0.1,
  maxPauseMs: 10_000,
  warmup: 3,
};

/**
 * Keeps a moving baseline of page-query durations per row (pages grow from a
 * few rows to thousands as the backfill learns the rows' size, so whole-page
 * durations are not comparable). When a query takes more than `factor` times
 * the baseline (and at least `minExcessMs` more in all), the
 * backfill pauses for twice that query's excess over the baseline, capped,
 * before its next query: the busier Postgres is, the longer the backfill
 * stays out of its way. A slow sample moves the baseline at most to twice its
 * value, so a lasting slowdown keeps the backfill slowed down for a while
 * instead of becoming the new normal at once.
 */
export class LatencyBackoff {
  private baseline: number | null = null;
  private samples = 0;
  pauses = 0;
  pausedMs = 0;

  constructor(private readonly options: LatencyBackoffOptions = DEFAULT_LATENCY_BACKOFF) {}

  get baselineMs(): number | null {
    return this.baseline;
  }

  /** Records one page query's duration and rows; returns how long to pause before the next (0: none). */
  observe(durationMs: number, rows = 1): number {
    this.samples += 1;
    const perRow = durationMs / Math.max(1, rows);
    if (this.baseline === null) {
      this.baseline = perRow;
      return 0;
    }
    const base = this.baseline;
    const { factor, minExcessMs, alpha, maxPauseMs, warmup } = this.options;
    this.baseline = base + alpha * (Math.min(perRow, 2 * base) - base);
    if (this.samples <= warmup) return 0;
    const excess = (perRow - base) * Math.max(1, rows);
    if (perRow <= factor * base || excess < minExcessMs) return 0;
    const pause = Math.min(maxPauseMs, 2 * excess);
    this.pauses += 1;
    this.pausedMs += pause;
    return pause;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
