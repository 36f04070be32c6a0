/**
 * The reverse-sync worker: drains the Convex change log into Postgres, page
 * by page (applyPage.ts), with retries and dead letters. A failing entry
 * stops the cursor right before it (later entries of the same key must not
 * overtake it); it is retried with exponential backoff and jitter, and once
 * its budget is spent, or at once when its data cannot be written at all
 * (a MappingError, or a value Postgres refuses: applyPage.ts's
 * isEntrysFault), it is written to tandem.reverse_sync_dead_letter with the
 * reason and the cursor moves past it. Convex or Postgres being unreachable
 * spends no entry's budget: the step is simply tried again after a backoff.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { silentLogger } from '../log.js';
import type { MirrorConfig } from '../mapping/index.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../relay/retryPolicy.js';
import {
  applyNextPage,
  pruneCommitted,
  readCursor,
  type DeadLetterOrder,
  type PageHooks,
  type PageResult,
} from './applyPage.js';
import type { ChangeLogSource } from './changeLog.js';
import { countReverseDeadLetters } from './deadLetters.js';
import type { ReverseSyncMetrics } from './metrics.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface ReverseSyncOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  source: ChangeLogSource;
  config: MirrorConfig;
  pageSize?: number;
  retry?: RetryPolicy;
  /** Wait between polls when the log is empty. Default 250 ms. */
  idleMs?: number;
  metrics?: ReverseSyncMetrics;
  log?: Logger;
  hooks?: PageHooks;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface StepOutcome extends PageResult {
  /** Milliseconds the caller should wait before the next step. */
  waitMs: number;
}

/** The longest a drain waits before counting again after a page that found nothing new (ms). */
const DRAIN_RECHECK_MS = 5;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ReverseSyncWorker {
  private readonly attempts = new Map<number, number>();
  private readonly orders = new Map<number, DeadLetterOrder>();
  private infraFailures = 0;
  /** The cursor the change log was last pruned up to (0: not yet by this worker, so leftovers of a crash go first). */
  private prunedTo = 0;
  /** The last step caught up: the next one peeks before locking (applyPage.ts). */
  private idle = false;
  private stopping = false;
  private running: Promise<void> | null = null;

  constructor(private readonly options: ReverseSyncOptions) {}

  private get policy(): RetryPolicy {
    return this.options.retry ?? DEFAULT_RETRY_POLICY;
  }

  private get log(): Logger {
    return this.options.log ?? silentLogger;
  }

  /**
   * Raises Convex's version counter past the Postgres outbox sequence, so a
   * Convex write beats every Postgres change captured before it. Call when a
   * group's writes move to Convex (after its outbox is drained); `run` calls it
   * on start.
   */
  async raiseConvexVersionFloor(): Promise<number> {
    const { rows } = await this.options.pool.query<{ last_value: string }>(
      `SELECT last_value FROM ${this.options.tool.sql}.outbox_seq_seq`,
    );
    return this.options.source.raiseVersionFloor(Number(rows[0]!.last_value));
  }

  /** One page: apply, record the outcome, decide the wait. Throws nothing an outage causes. */
  async step(): Promise<StepOutcome> {
    const { metrics } = this.options;
    let page: PageResult;
    try {
      page = await applyNextPage(this.options, this.options.tool, this.orders, { peek: this.idle });
      this.infraFailures = 0;
    } catch (error) {
      this.infraFailures++;
      const waitMs = backoffDelayMs(this.infraFailures, this.policy, this.options.random);
      this.idle = false;
      this.log.warn({ err: error, waitMs }, 'reverse sync step failed; retrying');
      metrics?.stepFailures.inc();
      return { ...emptyPage(), waitMs };
    }
    for (const seq of this.orders.keys()) if (seq <= page.cursor) this.orders.delete(seq);
    for (const seq of this.attempts.keys()) if (seq <= page.cursor) this.attempts.delete(seq);
    metrics?.applied.inc(page.applied);
    // Entries of decommissioned tables are skipped too: nothing in Postgres takes them any more.
    metrics?.skipped.inc(page.skipped + page.retired);
    metrics?.deadLetters.inc(page.deadLettered);
    this.idle = page.caughtUp;
    // Only what was committed since the last prune: an idle poll sends Convex no mutation.
    if (page.cursor > this.prunedTo) {
      await pruneCommitted(this.options.source, page.cursor).then(
        () => {
          this.prunedTo = page.cursor;
        },
        (err: unknown) => this.log.warn({ err, cursor: page.cursor }, 'change log prune failed; will prune later'),
      );
    }
    if (page.failure) return { ...page, waitMs: this.recordFailure(page) };
    return { ...page, waitMs: page.caughtUp ? (this.options.idleMs ?? 250) : 0 };
  }

  private recordFailure(page: PageResult): number {
    const { entry, error, permanent } = page.failure!;
    if (this.orders.has(entry.seq)) {
      // Writing its dead letter failed: ordering it again at once would spin. Wait as after an outage.
      this.infraFailures++;
      this.options.metrics?.stepFailures.inc();
      this.log.error({ table: entry.table, key: entry.pgKey, version: entry.version, err: error }, 'reverse sync: dead letter could not be written');
      return backoffDelayMs(this.infraFailures, this.policy, this.options.random);
    }
    const attempts = (this.attempts.get(entry.seq) ?? 0) + 1;
    this.attempts.set(entry.seq, attempts);
    const site = { table: entry.table, key: entry.pgKey, version: entry.version, attempts };
    if (permanent || attempts >= this.policy.budget) {
      const column = (error as { column?: unknown }).column;
      this.orders.set(entry.seq, {
        reason: error.message,
        column: typeof column === 'string' ? column : null,
        attempts,
      });
      this.log.error({ ...site, err: error }, 'reverse sync: change goes to dead letters');
      return 0;
    }
    this.options.metrics?.retries.inc();
    this.log.warn({ ...site, err: error }, 'reverse sync: change failed; retrying');
    return backoffDelayMs(attempts, this.policy, this.options.random);
  }

  /** Runs until stop(). */
  start(): Promise<void> {
    this.stopping = false;
    this.running ??= (async () => {
      const sleep = this.options.sleep ?? defaultSleep;
      await this.raiseConvexVersionFloor().catch((err: unknown) =>
        this.log.warn({ err }, 'could not raise the Convex version floor yet'),
      );
      while (!this.stopping) {
        const outcome = await this.step();
        if (outcome.waitMs > 0 && !this.stopping) await sleep(outcome.waitMs);
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /**
   * Waits until every change-log entry of `tables` (all tables when omitted)
   * is committed in Postgres, applying pages itself meanwhile, or until
   * `deadlineMs` has passed. The write rollback calls it before moving a
   * group's writer back to Postgres.
   */
  async drain(tables: readonly string[] | undefined, deadlineMs: number): Promise<DrainResult> {
    const sleep = this.options.sleep ?? defaultSleep;
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      let pending: number;
      try {
        const cursor = await readCursor(this.options.pool, this.options.tool);
        pending = (await this.options.source.pendingChanges(cursor, tables)).pending;
      } catch (err) {
        this.log.warn({ err }, 'drain: could not read the change log');
        pending = -1;
      }
      if (pending === 0)
        return {
          drained: true,
          pending: 0,
          deadLetters: await countReverseDeadLetters(this.options.pool, this.options.tool, tables),
        };
      if (Date.now() >= deadline) return { drained: false, pending: Math.max(pending, 0) };
      const outcome = await this.step();
      // A page that caught up is looked at again at once: a rollback holds
      // writes meanwhile, so only a retry's backoff may make it wait, and an
      // empty page (the log not yet showing what was counted) a moment.
      const waitMs = outcome.caughtUp
        ? outcome.read === 0
          ? Math.min(outcome.waitMs, DRAIN_RECHECK_MS)
          : 0
        : outcome.waitMs;
      if (waitMs > 0) await sleep(Math.min(waitMs, Math.max(0, deadline - Date.now())));
    }
  }
}

export interface DrainResult {
  drained: boolean;
  /** Entries of the tables still not committed in Postgres (0 when drained). */
  pending: number;
  /**
   * When drained: unresolved dead letters of the tables, changes the cursor
   * passed that Postgres never got (a rollback refuses while there are any).
   */
  deadLetters?: number;
}

function emptyPage(): PageResult {
  return {
    read: 0,
    applied: 0,
    skipped: 0,
    retired: 0,
    deadLettered: 0,
    cursor: 0,
    failure: null,
    caughtUp: false,
    maxVersion: 0,
  };
}

/** `drain(tables, deadlineMs)` without keeping a worker: for the write rollback. */
export function drainReverseSync(
  options: ReverseSyncOptions,
  tables: readonly string[] | undefined,
  deadlineMs: number,
): Promise<DrainResult> {
  return new ReverseSyncWorker(options).drain(tables, deadlineMs);
}
