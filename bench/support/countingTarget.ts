/**
 * A Convex target that only counts what it is sent, after a modeled round trip.
 * The project's RecordingConvexTarget keeps every batch it receives, which for
 * hundreds of megabytes of story content would make the relay's peak RSS
 * measure the recorder instead of the relay; this one keeps counts only.
 * Calls overlap freely (as with an HTTP client that skips its queue).
 */
import type { ApplyResult, TransactionBatch } from '../../src/core/changes.js';
import type { ApplyTarget } from '../../src/relay/applyClaimed.js';

export class CountingTarget implements ApplyTarget {
  calls = 0;
  events = 0;
  transactions = 0;
  maxEventsPerCall = 0;
  /** Time spent inside applyBatch, summed over calls (overlapping calls add up). */
  busyMs = 0;

  constructor(private readonly latencyMs: number) {}

  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    const started = performance.now();
    const events = transactions.reduce((n, t) => n + t.changes.length, 0);
    this.calls += 1;
    this.events += events;
    this.transactions += transactions.length;
    this.maxEventsPerCall = Math.max(this.maxEventsPerCall, events);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    this.busyMs += performance.now() - started;
    return { applied: events, skipped: 0 };
  }

  reset(): void {
    this.calls = 0;
    this.events = 0;
    this.transactions = 0;
    this.maxEventsPerCall = 0;
    this.busyMs = 0;
  }
}
