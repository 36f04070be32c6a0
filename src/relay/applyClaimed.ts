/**
 * One round of the relay's work on claimed transactions: map each event, pack
 * the transactions into Convex calls, apply, and record the outcome of every
 * event (done, retry later, or dead letter). Shared by the relay workers and
 * the mirror helper's fast path, so both treat failures the same way.
 */
import type pg from 'pg';
import type { ApplyResult, CapturedChange, MappedChange, TransactionBatch } from '../core/changes.js';
import type { Logger } from '../log.js';
import { MappingError } from '../mapping/index.js';
import { TargetAuthError, TargetUnavailableError } from '../core/errors.js';
import type { RelayMetrics } from './metrics.js';
import {
  completeEvents,
  deadLetterEvents,
  scheduleRetry,
  type ClaimedEvent,
  type ClaimedTransaction,
  type DeadLetterReason,
} from '../outbox/outboxStore.js';
import { packTransactions, type PackedCall, type PackingLimits, type SizedTransaction } from './packing.js';
import { backoffDelayMs, CircuitBreaker, type RetryPolicy } from './retryPolicy.js';
import { killPoint } from '../core/killPoints.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** Maps a captured change to Convex values; throws MappingError for values Convex cannot hold. */
export interface ChangeMapper {
  map(change: CapturedChange): { change: MappedChange; bytes: number; indexRanges: number };
}

/** An error that retrying cannot fix (the value itself cannot be stored): dead-letter at once. */
export function isUnrepresentable(err: unknown): err is MappingError {
  return err instanceof MappingError;
}

/**
 * Not the events' fault: the target did not answer, was overloaded or down
 * (TargetUnavailableError), or refused the credentials (TargetAuthError, a
 * subclass). These trip the breaker and never spend retry budget. Only a
 * failure for this payload (the function threw, validation, limits) counts
 * against the events' retry budget.
 */
export function isTransientTargetError(err: unknown): err is TargetUnavailableError {
  return err instanceof TargetUnavailableError;
}

export interface ApplyTarget {
  applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult>;
}

/** What to do instead of dead-lettering events that could not be mapped because of a schema change. */
export interface SchemaVerdict {
  /** Tables whose shape changed under capture (now paused): their transactions are held back. */
  held: Set<string>;
  /**
   * Events whose image has the shape from before a change the table was
   * resumed from: the key's current row has been re-emitted, so they are done.
   */
  superseded: number[];
}

/** Judges events that could not be mapped: a schema change, or a bad value (neither list). */
export type JudgeMappingFailures = (
  failures: Array<{ event: ClaimedEvent; column: string | undefined }>,
) => Promise<SchemaVerdict>;

export interface ApplyContext {
  judgeMappingFailures?: JudgeMappingFailures;
  pool: pg.Pool;
  target: ApplyTarget;
  mapper: ChangeMapper;
  retry: RetryPolicy;
  packing: PackingLimits;
  breaker: CircuitBreaker;
  metrics: RelayMetrics;
  log: Logger;
}

export interface RoundOutcome {
  applied: number;
  retried: number;
  dead: number;
  /** Events given back without an attempt because their transaction touches a table paused by a schema change. */
  held: number;
  /** The breaker opened during this round: stop claiming for a while. */
  breakerOpened: boolean;
  /** The claim was released with the last call's completion (one statement); otherwise the caller releases it. */
  released: boolean;
}

function deadReason(event: ClaimedEvent, err: MappingError): { seq: number } & DeadLetterReason {
  return { seq: event.seq, reason: err.message, rule: err.rule, column: err.column ?? undefined };
}

/** Maps every event; unrepresentable ones are set aside for dead letters and do not block the rest. */
export function mapTransactions(
  claimed: ClaimedTransaction[],
  mapper: ChangeMapper,
): { sized: SizedTransaction[]; dead: Array<{ seq: number } & DeadLetterReason>; events: Map<number, ClaimedEvent> } {
  const sized: SizedTransaction[] = [];
  const dead: Array<{ seq: number } & DeadLetterReason> = [];
  const events = new Map<number, ClaimedEvent>();
  for (const t of claimed) {
    const s: SizedTransaction = { txid: t.txid, changes: [], sizes: [], ranges: [], seqs: [] };
    for (const event of t.events) {
      events.set(event.seq, event);
      try {
        const { change, bytes, indexRanges } = mapper.map(event);
        s.changes.push(change);
        s.sizes.push(bytes);
        s.ranges.push(indexRanges);
        s.seqs.push(event.seq);
      } catch (err) {
        if (!isUnrepresentable(err)) throw err;
        dead.push(deadReason(event, err));
      }
    }
    if (s.changes.length > 0) sized.push(s);
  }
  return { sized, dead, events };
}

async function failCall(
  ctx: ApplyContext, tool: ToolSchema,
  call: PackedCall,
  events: Map<number, ClaimedEvent>,
  err: unknown,
  outcome: RoundOutcome,
): Promise<void> {
  const message = (err as Error)?.message ?? String(err);
  if (isTransientTargetError(err)) {
    await waitOutTargetFailure(ctx, tool, call, err, message, outcome);
    return;
  }
  const exhausted = call.seqs.filter((seq) => (events.get(seq)?.attempts ?? 0) + 1 >= ctx.retry.budget);
  const again = call.seqs.filter((seq) => !exhausted.includes(seq));
  await deadLetterEvents(
    ctx.pool, tool,
    exhausted.map((seq) => ({ seq, reason: `retry budget of ${ctx.retry.budget} spent; last error: ${message}` })),
  );
  const attempt = Math.max(1, ...again.map((seq) => (events.get(seq)?.attempts ?? 0) + 1));
  await scheduleRetry(ctx.pool, tool, again, backoffDelayMs(attempt, ctx.retry), message, true);
  outcome.dead += exhausted.length;
  outcome.retried += again.length;
  ctx.metrics.retries.inc(again.length);
  ctx.metrics.deadLetters.inc(exhausted.length);
  ctx.log.warn(
    { retried: again.length, deadLettered: exhausted.length, attempt, budget: ctx.retry.budget, err: message },
    exhausted.length > 0 ? 'apply failed; retry budget spent for some events (dead letters)' : 'apply failed; events will be retried',
  );
}

/**
 * Convex unavailable or refusing the key: the events wait (no attempt spent)
 * for a backoff that grows with the consecutive failures, or for the breaker's
 * cooldown once it opened; the opening is logged as an alert.
 */
async function waitOutTargetFailure(
  ctx: ApplyContext, tool: ToolSchema,
  call: PackedCall,
  err: TargetUnavailableError,
  message: string,
  outcome: RoundOutcome,
): Promise<void> {
  const opened = ctx.breaker.recordFailure();
  outcome.breakerOpened ||= opened;
  const kind = err instanceof TargetAuthError ? 'auth' : 'unavailable';
  ctx.metrics.targetUnavailable.inc({ kind });
  if (opened) {
    ctx.log.error(
      { kind, events: call.seqs.length, pausedMs: ctx.breaker.waitMs(), err: message },
      kind === 'auth'
        ? 'Convex refused the deploy key: delivery paused, no retry attempts spent'
        : 'Convex unavailable: circuit open, delivery paused, no retry attempts spent',
    );
  }
  const delay = Math.max(ctx.breaker.waitMs(), backoffDelayMs(ctx.breaker.consecutiveFailures, ctx.retry));
  await scheduleRetry(ctx.pool, tool, call.seqs, delay, message, false);
  outcome.retried += call.seqs.length;
}

/**
 * A round's completions, in call order. A call's events are marked done while
 * the round's next call is in flight (2,000 small events make two calls, the
 * index-range limit packing about 1,100 per call), instead of the next call
 * waiting for that write. Each completion starts once the previous one has
 * committed, so the one that releases the claim is the last; a failed one
 * stops those after it (the round fails, and its events are delivered again,
 * which the versioned apply ignores).
 */
class Completions {
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ApplyContext,
    private readonly tool: ToolSchema,
    private readonly outcome: RoundOutcome,
  ) {}

  add(seqs: number[], releasing?: string): void {
    const next = this.last.then(async () => {
      if (releasing !== undefined) killPoint('relay.beforeRelease');
      await completeEvents(this.ctx.pool, this.tool, seqs, releasing);
      this.outcome.released ||= releasing !== undefined;
      this.outcome.applied += seqs.length;
      killPoint('relay.afterComplete');
    });
    // A failure is seen by whoever awaits settled(); until then it is not an unhandled rejection.
    next.catch(() => undefined);
    this.last = next;
  }

  /** Resolves once every completion committed; rejects with the first that failed. */
  settled(): Promise<void> {
    return this.last;
  }
}

/**
 * Applies one call; returns the error when it failed (its events' outcome is
 * already recorded). A successful call's completion is queued on
 * `completions`; given `releasing` (the round's last call), it also releases
 * that claim.
 */
async function applyCall(
  ctx: ApplyContext, tool: ToolSchema,
  call: PackedCall,
  events: Map<number, ClaimedEvent>,
  seqsByTxid: Map<string, number[]>,
  outcome: RoundOutcome,
  completions: Completions,
  releasing?: string,
): Promise<unknown> {
  const started = performance.now();
  try {
    killPoint('relay.beforeApply');
    await ctx.target.applyBatch(call.batches);
  } catch (err) {
    ctx.metrics.applyCalls.inc({ outcome: 'failed' });
    for (const b of call.batches) for (const c of b.changes) ctx.metrics.events.inc({ table: c.table, outcome: 'failed' });
    // A packed call that failed for a reason other than an outage may hold one
    // bad transaction: apply its transactions one by one so the others proceed.
    if (!isTransientTargetError(err) && call.batches.length > 1) {
      for (const single of unpack(call, seqsByTxid)) await applyCall(ctx, tool, single, events, seqsByTxid, outcome, completions);
      return undefined;
    }
    await failCall(ctx, tool, call, events, err, outcome);
    return err ?? new Error('apply failed');
  }
  ctx.breaker.recordSuccess();
  ctx.metrics.applyLatency.observe((performance.now() - started) / 1000);
  ctx.metrics.applyCalls.inc({ outcome: 'applied' });
  for (const b of call.batches) for (const c of b.changes) ctx.metrics.events.inc({ table: c.table, outcome: 'applied' });
  killPoint('relay.afterApply');
  completions.add(call.seqs, releasing);
  return undefined;
}

/** A packed call as one call per transaction (packed calls never hold a split transaction). */
function unpack(call: PackedCall, seqsByTxid: Map<string, number[]>): PackedCall[] {
  return call.batches.map((batch) => ({ batches: [batch], seqs: seqsByTxid.get(batch.txid) ?? [], splitTxids: [] }));
}

/**
 * Applies claimed transactions and records every event's outcome. Given the
 * claim's id, the last call's completion releases the claim too when that call
 * succeeds (`outcome.released`), so the usual round ends with one statement.
 */
export async function applyClaimed(
  ctx: ApplyContext, tool: ToolSchema,
  claimed: ClaimedTransaction[],
  claimId?: string,
): Promise<RoundOutcome> {
  const outcome: RoundOutcome = { applied: 0, retried: 0, dead: 0, held: 0, breakerOpened: false, released: false };
  const mapped = mapTransactions(claimed, ctx.mapper);
  const { events } = mapped;
  let { sized, dead } = mapped;
  if (dead.length > 0 && ctx.judgeMappingFailures) {
    const { held, superseded } = await ctx.judgeMappingFailures(
      dead.map((d) => ({ event: events.get(d.seq)!, column: d.column })),
    );
    if (superseded.length > 0) {
      await completeEvents(ctx.pool, tool, superseded);
      ctx.log.info({ seqs: superseded }, 'events with an image from before a schema change: current rows re-emitted');
      const done = new Set(superseded);
      dead = dead.filter((d) => !done.has(d.seq));
    }
    if (held.size > 0) {
      // A transaction is applied whole: one touching a paused table waits with it.
      const heldTxids = new Set(claimed.filter((t) => t.events.some((e) => held.has(e.table))).map((t) => t.txid));
      const heldSeqs = claimed.filter((t) => heldTxids.has(t.txid)).flatMap((t) => t.events.map((e) => e.seq));
      await scheduleRetry(ctx.pool, tool, heldSeqs, 0, `table paused: schema changed (${[...held].join(', ')})`, false);
      outcome.held += heldSeqs.length;
      sized = sized.filter((t) => !heldTxids.has(t.txid));
      dead = dead.filter((d) => !heldTxids.has(events.get(d.seq)!.txid));
    }
  }
  if (dead.length > 0) {
    await deadLetterEvents(ctx.pool, tool, dead);
    for (const d of dead) {
      ctx.log.warn({ seq: d.seq, reason: d.reason, rule: d.rule, column: d.column }, 'unrepresentable change sent to dead letters');
      ctx.metrics.events.inc({ table: events.get(d.seq)!.table, outcome: 'dead' });
    }
    ctx.metrics.deadLetters.inc(dead.length);
    outcome.dead += dead.length;
  }
  const calls = packTransactions(sized, ctx.packing);
  const seqsByTxid = new Map(sized.map((t) => [t.txid, t.seqs]));
  const completions = new Completions(ctx, tool, outcome);
  try {
    await applyCalls(ctx, tool, calls, events, seqsByTxid, outcome, completions, claimId);
  } catch (err) {
    // Let a completion in flight finish before the caller gives the claim back.
    await completions.settled().catch(() => undefined);
    throw err;
  }
  await completions.settled();
  return outcome;
}

async function applyCalls(
  ctx: ApplyContext, tool: ToolSchema,
  calls: PackedCall[],
  events: Map<number, ClaimedEvent>,
  seqsByTxid: Map<string, number[]>,
  outcome: RoundOutcome,
  completions: Completions,
  claimId: string | undefined,
): Promise<void> {
  // A part of a split transaction failed: its later parts are not applied, and
  // its events (held by the last part) are retried as a whole.
  const failedSplit = new Map<string, unknown>();
  for (const [index, call] of calls.entries()) {
    const failedEarlier = call.splitTxids.find((t) => failedSplit.has(t));
    if (failedEarlier !== undefined) {
      if (call.seqs.length === 0) continue;
      if (ctx.breaker.allows()) await failCall(ctx, tool, call, events, failedSplit.get(failedEarlier), outcome);
      else await scheduleRetry(ctx.pool, tool, call.seqs, ctx.breaker.waitMs(), 'circuit open', false);
      continue;
    }
    if (call.splitTxids.length > 0 && call.seqs.length > 0) {
      ctx.metrics.splitTransactions.inc(call.splitTxids.length);
      ctx.log.info({ txids: call.splitTxids }, 'transaction too large for one Convex mutation; applied in parts');
    }
    if (!ctx.breaker.allows()) {
      await scheduleRetry(ctx.pool, tool, call.seqs, ctx.breaker.waitMs(), 'circuit open', false);
      outcome.retried += call.seqs.length;
      for (const t of call.splitTxids) failedSplit.set(t, new Error('circuit open'));
      continue;
    }
    const last = index === calls.length - 1;
    const err = await applyCall(ctx, tool, call, events, seqsByTxid, outcome, completions, last ? claimId : undefined);
    if (err !== undefined) for (const t of call.splitTxids) failedSplit.set(t, err);
  }
}
