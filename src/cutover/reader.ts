/**
 * The read router an application calls for every read that may move to
 * Convex: `reader.read({ tables, user, postgres, convex })` serves it from the
 * store the tables' stages choose for this user, and says which one did (an
 * HTTP layer sets `Tandem-Read-Source` from it).
 *
 * In `shadow` the Postgres result is served and the Convex read starts as
 * soon as Postgres has answered; the user waits for Convex at most
 * `shadow.waitMs` (0 by default: never), and the comparison finishes in the
 * background, bounded by `shadow.timeoutMs`. A Convex failure never fails a
 * shadow read; a failed Convex read served to a user falls back to Postgres
 * (unless `convexFallback` is false) and is counted, which the automatic
 * rollback rules watch.
 */
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import type { Logger } from '../log.js';
import { decideRead, type ReadDecision, type ReadingUser, type TableStage } from './decide.js';
import type { CutoverMetrics } from './metrics.js';
import { stageRank } from './readStages.js';
import type { ReadStats } from './readStats.js';
import { resultsEqual, resultsEqualSliced, type CompareSlice, type ShadowMode } from './shadowCompare.js';
import {
  classifyExact,
  classifyWithTolerance,
  delay,
  settle,
  type Classified,
  type ClassifyInput,
  type Settled,
  type ShadowComparator,
} from './shadowClassify.js';
import type { ShadowOutcome, ShadowRecorder } from './shadowStore.js';
import type { ToolSchema } from '../core/toolSchema.js';
import { checkMaxInFlight, checkSampleRate, ShadowBudget, ShadowShare } from './shadowLimits.js';

/** Where the router reads stages from: a ReadFlags client, or anything answering the same question. */
export interface StageSource {
  stageOf(table: string): TableStage;
}

export interface ShadowOptions {
  /** `ab` (default): Postgres against Convex; `aa`: Postgres against itself, to measure the noise floor. */
  mode?: ShadowMode;
  /** Longest the user's request waits for the Convex read after Postgres answered (ms). Default 0. */
  waitMs?: number;
  /** A Convex read slower than this is an error (ms). Default 2,000. */
  timeoutMs?: number;
  /**
   * Share of shadow-stage reads that also read Convex (0–1). Default 1. A read
   * may set its own (ReadRequest.sampleRate, RoutedReadsSpec.sampleRate): a
   * path with large results can be shadowed less than the others.
   */
  sampleRate?: number;
  /**
   * Most comparisons started per second for one read (by its name), a token
   * bucket holding at most this many (at least one): every read of a quiet
   * path is compared, a busy one costs a bounded amount of work per second
   * however much traffic it gets. Reads over it are served from Postgres
   * uncompared and counted `skipped` (reason `budget`) in metrics. Default:
   * no limit.
   */
  maxPerSecond?: number;
  /**
   * Most comparisons as a share of all the reads this reader routes (every
   * read, at any stage, adds its share; a comparison takes one read's worth):
   * 0.005 compares at most one read in 200 across all paths together, the
   * first read at once. Where `maxPerSecond` bounds each path, this bounds
   * how many of the reads being served a comparison's work lands on, which is
   * what moves their p99 (docs/read-cutover.md, "What shadow costs"). Reads
   * over it are served uncompared and counted `skipped` (reason `share`) in
   * metrics. Default: no limit.
   */
  maxShare?: number;
  /**
   * Most shadow comparisons under way at once (re-checks included). A read
   * at `shadow` that finds this many is served from Postgres uncompared and
   * counted `skipped` (reason `busy`, also in the shadow report): a slow or
   * hanging Convex then holds at most this many Postgres results in memory,
   * not one per read for `timeoutMs`. Default 500.
   */
  maxInFlight?: number;
  /** Delay between re-checks of a difference while changes are in flight (ms). Default 250. */
  recheckMs?: number;
  /** Re-checks before an unsettled difference is left as lag. Default 20. */
  recheckAttempts?: number;
  /** How long before a read an applied change still counts as in flight (ms). Default 1,000. */
  inFlightMarginMs?: number;
  /** How much of a comparison runs before it yields to the event loop (resultsEqualSliced). */
  slice?: CompareSlice;
}

/**
 * The project config's `cutover.shadow`: the Reader's shadow options, and a
 * sample rate per read name for `routedReads`' `sampleRate` (which refuses a
 * name that is none of its methods).
 */
export interface ShadowSettings
  extends Pick<ShadowOptions, 'mode' | 'waitMs' | 'timeoutMs' | 'sampleRate' | 'maxPerSecond' | 'maxShare' | 'maxInFlight'> {
  sampleRates: Record<string, number>;
}

export interface ReaderOptions<U> {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  flags: StageSource;
  /** The outbox, for telling lag from drift; null classifies every difference as drift. */
  pool: pg.Pool | null;
  /** The user's stable id (default: `user.id`). */
  userId?: (user: U) => string | number | null | undefined;
  /** Users the application reads Convex for from `convex-internal` on. */
  isInternal?: (user: U) => boolean;
  shadow?: ShadowOptions;
  recorder?: ShadowRecorder;
  metrics?: CutoverMetrics;
  stats?: ReadStats;
  /** Answer a failed Convex read from Postgres. Default true. */
  convexFallback?: boolean;
  log?: Logger;
  random?: () => number;
  /** A clock in ms for `shadow.maxPerSecond` (default performance.now). */
  now?: () => number;
}

export interface ReadRequest<T, U> {
  /** A name for logs and samples (default: the tables). */
  name?: string;
  /** Every table the read spans: it runs at the most conservative of their stages. */
  tables: readonly string[];
  /** Who asks; null or absent for anonymous requests. */
  user?: U | null;
  postgres: () => Promise<T>;
  convex: () => Promise<T>;
  /** Brings both results to one form before comparing (e.g. sorts an unordered list). */
  normalize?: (value: T) => unknown;
  /**
   * A comparison with a stated tolerance (counts, sums, statistics): told how
   * many changes are in flight, it says whether a difference is one they can
   * explain (lag) or not (drift, once re-checks agree). Called only when the
   * results differ; without it a difference is lag only once it settles.
   */
  compare?: ShadowComparator<T>;
  /** Share of this read's shadow-stage calls that also read Convex (0–1); default the reader's `shadow.sampleRate`. */
  sampleRate?: number;
}

export type ReadSource = 'postgres' | 'convex';

export interface ReadResult<T> {
  value: T;
  source: ReadSource;
  /** What the stages decided: postgres, shadow (served by Postgres, compared) or convex. */
  decision: ReadDecision;
  /** Convex failed and Postgres answered instead. */
  fellBack?: boolean;
}

/** Why a read at `shadow` was served without a comparison. */
export type ShadowSkipReason = 'budget' | 'share' | 'busy';

const DEFAULT_MAX_IN_FLIGHT = 500;

export class Reader<U = ReadingUser> {
  private readonly inFlight = new Set<Promise<unknown>>();
  /** `shadow.maxPerSecond`'s buckets, one per read name; null without a budget. */
  private readonly budget: ShadowBudget | null;
  /** `shadow.maxShare`'s bucket, filled by every read routed; null without one. */
  private readonly share: ShadowShare | null;
  /** The budget's clock (ms). */
  private readonly now: () => number;

  constructor(private readonly options: ReaderOptions<U>) {
    const shadow = options.shadow ?? {};
    if (shadow.sampleRate !== undefined) checkSampleRate(shadow.sampleRate, 'shadow.sampleRate');
    if (shadow.maxInFlight !== undefined) checkMaxInFlight(shadow.maxInFlight);
    this.budget = shadow.maxPerSecond === undefined ? null : new ShadowBudget(shadow.maxPerSecond);
    this.share = shadow.maxShare === undefined ? null : new ShadowShare(shadow.maxShare);
    this.now = options.now ?? (() => performance.now());
  }

  private readingUser(user: U | null | undefined): ReadingUser {
    if (user === null || user === undefined) return {};
    const id = this.options.userId
      ? this.options.userId(user)
      : (user as { id?: string | number | null }).id;
    return { id, internal: this.options.isInternal?.(user) ?? false };
  }

  /** Which store would serve this user for these tables now (no read is done). */
  decide(tables: readonly string[], user?: U | null): ReadDecision {
    return decideRead(
      tables.map((t) => this.options.flags.stageOf(t)),
      this.readingUser(user),
    );
  }

  async read<T>(request: ReadRequest<T, U>): Promise<ReadResult<T>> {
    if (request.tables.length === 0) throw new InvalidInputError('tables', 'a read names at least one table');
    if (request.sampleRate !== undefined) checkSampleRate(request.sampleRate, 'sampleRate');
    const stages = request.tables.map((t) => this.options.flags.stageOf(t));
    this.share?.served();
    const { metrics } = this.options;
    if (metrics) request.tables.forEach((t, i) => metrics.stage.set({ table: t }, stageRank(stages[i]!.stage)));
    const decision = decideRead(stages, this.readingUser(request.user));
    if (decision === 'convex') return this.readConvex(request);
    const sampleRate = request.sampleRate ?? this.options.shadow?.sampleRate ?? 1;
    if (decision === 'shadow' && (this.options.random ?? Math.random)() < sampleRate) {
      const skip = this.shadowSkip(request);
      if (skip === null) return this.readShadow(request);
      this.skipped(request.tables, skip);
    }
    const value = await request.postgres();
    this.served(request.tables, 'postgres');
    return { value, source: 'postgres', decision };
  }

  /**
   * Whether a sampled shadow read must go uncompared: too many comparisons
   * under way, the share of all reads used up, or its read's budget for this
   * second spent. Checked in that order, and a token is taken only from a
   * read that is compared, so a refusal by one limit spends nothing of another.
   */
  private shadowSkip(request: { name?: string; tables: readonly string[] }): ShadowSkipReason | null {
    if (this.inFlight.size >= (this.options.shadow?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)) return 'busy';
    if (this.share && !this.share.available) return 'share';
    if (this.budget && !this.budget.take(this.nameOf(request), this.now())) return 'budget';
    this.share?.take();
    return null;
  }

  private skipped(tables: readonly string[], reason: ShadowSkipReason): void {
    for (const table of tables) this.options.metrics?.shadowSkipped.inc({ table, reason });
    // Only the cap is an event an operator must see in the report: a budget or a share is sampling they configured.
    if (reason === 'busy') this.options.recorder?.skipped(tables, this.options.shadow?.mode ?? 'ab');
  }

  private served(tables: readonly string[], source: ReadSource): void {
    for (const table of tables) this.options.metrics?.reads.inc({ table, source });
  }

  private convexFailed(tables: readonly string[]): void {
    this.options.stats?.add(tables, 'convexErrors');
    for (const table of tables) this.options.metrics?.convexReadErrors.inc({ table });
  }

  private async readConvex<T>(request: ReadRequest<T, U>): Promise<ReadResult<T>> {
    this.options.stats?.add(request.tables, 'convexReads');
    try {
      const value = await request.convex();
      this.served(request.tables, 'convex');
      return { value, source: 'convex', decision: 'convex' };
    } catch (err) {
      this.convexFailed(request.tables);
      if (this.options.convexFallback === false) throw err;
      this.options.log?.warn(
        { read: this.nameOf(request), err: (err as Error)?.message },
        'convex read failed; answered from postgres',
      );
      const value = await request.postgres();
      this.served(request.tables, 'postgres');
      return { value, source: 'postgres', decision: 'convex', fellBack: true };
    }
  }

  private nameOf(request: { name?: string; tables: readonly string[] }): string {
    return request.name ?? request.tables.join('+');
  }

  private async readShadow<T>(request: ReadRequest<T, U>): Promise<ReadResult<T>> {
    const shadow = this.options.shadow ?? {};
    const mode = shadow.mode ?? 'ab';
    const other = mode === 'aa' ? request.postgres : request.convex;
    const started = Date.now();
    if (mode === 'ab') this.options.stats?.add(request.tables, 'convexReads');
    // The shadow read starts once Postgres has answered: its work (and, on a
    // shared host, the Convex side's) never competes with the served query.
    // bench/readStages.ts measured starting both together as slower for the
    // user on a 2-core host.
    const value = await request.postgres();
    const waitMs = shadow.waitMs ?? 0;
    const timeoutMs = shadow.timeoutMs ?? 2000;
    // With no wait, the second read and its timeout timer start only after the
    // caller has its result (setImmediate runs after every pending microtask,
    // so after the caller's continuation and, in a server, after the response
    // is written). Started at once, their synchronous part and, for a fast
    // second read, the whole comparison ran ahead of the caller and added
    // ~20 % to a 0.6 ms read's p50 (bench/readStages.ts, shadow-noop). The
    // comparison is tracked at once, so `settled()` still waits for it.
    const second =
      waitMs > 0
        ? settle(other, timeoutMs)
        : new Promise<Settled<T>>((resolve) => setImmediate(() => resolve(settle(other, timeoutMs))));
    this.track(second.then((s) => this.compare(request, mode, value, s, started)));
    if (waitMs > 0) await Promise.race([second, delay(waitMs)]);
    this.served(request.tables, 'postgres');
    return { value, source: 'postgres', decision: 'shadow' };
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((err: unknown) =>
      this.options.log?.warn({ err: (err as Error)?.message }, 'shadow comparison failed'),
    );
    this.inFlight.add(guarded);
    this.options.recorder?.expect(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
  }

  private normalizerOf<T>(request: ReadRequest<T, U>): (value: T) => unknown {
    return request.normalize ?? ((v: T) => v);
  }

  private equal<T>(request: ReadRequest<T, U>, a: T, b: T): boolean {
    const normalize = this.normalizerOf(request);
    return resultsEqual(normalize(a), normalize(b));
  }

  private async compare<T>(
    request: ReadRequest<T, U>,
    mode: ShadowMode,
    postgres: T,
    second: Settled<T>,
    started: number,
  ): Promise<void> {
    const base = { mode, read: this.nameOf(request), tables: request.tables };
    if (!second.ok) {
      if (mode === 'ab') this.convexFailed(request.tables);
      return this.outcome({ ...base, class: 'error', postgres, detail: second.error });
    }
    // The first comparison runs in slices between the reads being served; the
    // re-checks of a difference (rare, and paced by queries) compare at once.
    const normalize = this.normalizerOf(request);
    if (await resultsEqualSliced(normalize(postgres), normalize(second.value), this.options.shadow?.slice))
      return this.outcome({ ...base, class: 'match' });
    const verdict = await this.classifyDifference(request, mode, started, [postgres, second.value]);
    this.outcome({ ...base, class: verdict.class, postgres, convex: second.value, detail: verdict.detail });
  }

  private classifyDifference<T>(
    request: ReadRequest<T, U>,
    mode: ShadowMode,
    started: number,
    results: [T, T],
  ): Promise<Classified> {
    const shadow = this.options.shadow ?? {};
    const input: ClassifyInput<T> = {
      pool: this.options.pool,
      tables: request.tables,
      first: request.postgres,
      second: mode === 'aa' ? request.postgres : request.convex,
      equal: (a, b) => this.equal(request, a, b),
      started,
      recheckMs: shadow.recheckMs ?? 250,
      recheckAttempts: shadow.recheckAttempts ?? 20,
      inFlightMarginMs: shadow.inFlightMarginMs ?? 1000,
      timeoutMs: shadow.timeoutMs ?? 2000,
      stopped: () => this.options.recorder?.closed === true,
    };
    return request.compare
      ? classifyWithTolerance(input, this.options.tool, request.compare, results)
      : classifyExact(input, this.options.tool);
  }

  private outcome(o: ShadowOutcome): void {
    this.options.recorder?.record(o);
    for (const table of o.tables) this.options.metrics?.shadow.inc({ table, mode: o.mode, class: o.class });
    this.options.stats?.add(o.tables, 'shadowCompared');
    if (o.class === 'drift') {
      this.options.stats?.add(o.tables, 'shadowDrift');
      this.options.log?.warn({ read: o.read, tables: o.tables, detail: o.detail }, 'shadow read drift');
    }
  }

  /** Waits for every shadow comparison under way (re-checks included), then writes the results. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.options.recorder?.flush();
  }
}

export { routedReads, type ReadMethods, type RoutedReadsSpec, type ServedRead } from './routedReads.js';
