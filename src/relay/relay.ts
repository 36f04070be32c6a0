/**
 * The relay: workers that drain the outbox into Convex. Any number of relay
 * processes on any number of machines may run at once; they share nothing but
 * Postgres (claims leased per claim in tandem.relay_claim, see outboxStore.ts).
 */
import crypto from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import os from 'node:os';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type pg from 'pg';
import { pruneOutbox } from '../capture/index.js';
import { installedShapes, lastShapeChanges, pauseTable, resumeMarker } from '../capture/tablePause.js';
import { changedTables, describeShapeChange, diffShapes, tableShape, type ShapeChange } from '../capture/tableShape.js';
import type { MirrorConfig } from '../mapping/index.js';
import { repairKeys } from '../parity/repair.js';
import { withTransaction } from '../postgres/database.js';
import type { Logger } from '../log.js';
import {
  applyClaimed,
  type ApplyContext,
  type ApplyTarget,
  type ChangeMapper,
  type RoundOutcome,
  type SchemaVerdict,
} from './applyClaimed.js';
import { mirrorMapper } from './changeMapper.js';
import type { RelayMetrics } from './metrics.js';
import type { ClaimedEvent } from '../outbox/outboxStore.js';
import { claimTransactions, outboxDrained, releaseClaim, secondsUntilNextClaimable } from '../outbox/outboxStore.js';
import { DEFAULT_PACKING, type PackingLimits } from './packing.js';
import { CircuitBreaker, DEFAULT_BREAKER, DEFAULT_RETRY_POLICY, type BreakerOptions, type RetryPolicy } from './retryPolicy.js';
import { killPoint } from '../core/killPoints.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface RelayOptions {
  workers: number;
  /** Events claimed per round by one worker (whole transactions, so a big one may exceed it). */
  claimEvents: number;
  leaseMs: number;
  /** Sleep of an idle worker before it looks again. */
  idleMs: number;
  /**
   * Longest sleep of a draining worker that found nothing claimable (it sleeps
   * until the next event is due or a lease expires, at most this long); a round
   * of this relay ending wakes it sooner.
   */
  maxIdleMs: number;
  /** Processed events older than this are pruned (continuous mode). */
  retentionMs: number;
  pruneEveryMs: number;
  retry: RetryPolicy;
  packing: PackingLimits;
  breaker: BreakerOptions;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  workers: 1,
  claimEvents: 2_000,
  leaseMs: 30_000,
  idleMs: 200,
  maxIdleMs: 1_000,
  retentionMs: 7 * 24 * 3600 * 1000,
  pruneEveryMs: 60_000,
  retry: DEFAULT_RETRY_POLICY,
  packing: DEFAULT_PACKING,
  breaker: DEFAULT_BREAKER,
};

/**
 * The mirror the relay maps by and how to discover it again. With it, a table
 * whose shape changed under capture is paused instead of dead-lettered, and the
 * relay discovers the mirror again once `capture install` resumes a table.
 */
export interface SchemaWatch {
  mirror: MirrorConfig;
  discover: () => Promise<MirrorConfig>;
}

export interface RelayDeps {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  target: ApplyTarget;
  /** Default: the shared value mapping over `schema.mirror`. */
  mapper?: ChangeMapper;
  schema?: SchemaWatch;
  metrics: RelayMetrics;
  log: Logger;
}

export interface RelaySummary {
  applied: number;
  retried: number;
  dead: number;
}


export class Relay {
  readonly options: RelayOptions;
  private readonly ctx: ApplyContext;
  private readonly instance = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly totals: RelaySummary = { applied: 0, retried: 0, dead: 0 };
  /** Rounds of this relay that ended after claiming something (their claim is gone). */
  private endedRounds = 0;
  private readonly roundEnded = new EventEmitter().setMaxListeners(0);

  private readonly schema?: SchemaWatch;
  private mirror?: MirrorConfig;
  /** The resume marker when the mirror was last discovered (undefined: not read yet). */
  private seenResume: string | null | undefined;
  private needsDiscovery = false;
  private discovering?: Promise<void>;
  private started?: Promise<void>;
  private readonly tool: ToolSchema;

  constructor(deps: RelayDeps, options: Partial<RelayOptions> = {}) {
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...options };
    this.tool = deps.tool;
    const mapper = deps.mapper ?? (deps.schema && mirrorMapper(deps.schema.mirror));
    if (!mapper) throw new Error('Relay needs a mapper or a schema watch');
    this.schema = deps.schema;
    this.mirror = deps.schema?.mirror;
    this.ctx = {
      ...(deps.schema ? { judgeMappingFailures: (failures) => this.judgeMappingFailures(failures) } : {}),
      pool: deps.pool,
      target: deps.target,
      mapper,
      metrics: deps.metrics,
      log: deps.log,
      retry: this.options.retry,
      packing: this.options.packing,
      breaker: new CircuitBreaker(this.options.breaker),
    };
  }

  get summary(): RelaySummary {
    return { ...this.totals };
  }

  /** One claim-and-apply round of one worker. Returns null when nothing was claimable. */
  async round(workerId: string, txid?: string): Promise<RoundOutcome | null> {
    if (!this.ctx.breaker.allows()) return null;
    await this.refreshMirror();
    const claim = await claimTransactions(this.ctx.pool, this.tool, {
      workerId,
      maxEvents: this.options.claimEvents,
      leaseMs: this.options.leaseMs,
      txid,
    });
    if (!claim) return null;
    killPoint('relay.afterClaim');
    let outcome: RoundOutcome;
    try {
      try {
        outcome = await applyClaimed(this.ctx, this.tool, claim.transactions, claim.id);
      } catch (err) {
        // Give the claim back now rather than at its lease's end; if Postgres is
        // what failed, the lease ends it anyway.
        await releaseClaim(this.ctx.pool, this.tool, claim.id).catch(() => undefined);
        throw err;
      }
      if (!outcome.released) {
        killPoint('relay.beforeRelease');
        await releaseClaim(this.ctx.pool, this.tool, claim.id);
      }
    } finally {
      this.endedRounds += 1;
      this.roundEnded.emit('ended');
    }
    this.totals.applied += outcome.applied;
    this.totals.retried += outcome.retried;
    this.totals.dead += outcome.dead;
    return outcome;
  }

  /**
   * Discovers the mirror again when a table was resumed (or paused in a race)
   * since the last discovery, so a resumed table maps with its new columns.
   * The marker is read before discovering: a resume during discovery is seen
   * next round.
   */
  private async refreshMirror(): Promise<void> {
    if (!this.schema) return;
    // Every worker waits for the first check, so none maps a table changed since install.
    this.started ??= (async () => {
      this.seenResume = await resumeMarker(this.ctx.pool, this.tool);
      await this.pauseChangedSinceInstall();
    })().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    await this.started;
    if (this.discovering) await this.discovering;
    const marker = await resumeMarker(this.ctx.pool, this.tool);
    if (!this.needsDiscovery && marker === this.seenResume) return;
    this.discovering ??= (async () => {
      this.needsDiscovery = false;
      const mirror = await this.schema!.discover();
      this.mirror = mirror;
      this.ctx.mapper = mirrorMapper(mirror);
      this.seenResume = marker;
      this.ctx.log.info({ resumedAt: marker }, 'mirror discovered again');
      await this.pauseChangedSinceInstall();
    })().finally(() => {
      this.discovering = undefined;
    });
    await this.discovering;
  }

  /**
   * A relay that discovered the mirror after a schema change maps with the new
   * columns, which the deployed Convex side may not have: compare with the
   * shape each table was installed for, and pause those that differ.
   */
  private async pauseChangedSinceInstall(): Promise<void> {
    if (!this.mirror) return;
    const installed = await installedShapes(this.ctx.pool, this.tool);
    for (const table of this.mirror.tables) {
      const shape = installed.get(table.name);
      const change = shape && diffShapes(table.name, shape, tableShape(table));
      if (change) await this.pause(change);
    }
  }

  /**
   * Events of a table that failed to map: if the table's live shape differs
   * from the mirror, pause it and hold its transactions. If the failing column
   * is one the table's last (resumed) change named, the image predates that
   * change: re-emit the key's current row (a newer version) and let the old
   * event go. Anything else is a bad value (dead letter).
   */
  private async judgeMappingFailures(
    failures: Array<{ event: ClaimedEvent; column: string | undefined }>,
  ): Promise<SchemaVerdict> {
    if (!this.schema || !this.mirror) return { held: new Set(), superseded: [] };
    const tables = [...new Set(failures.map((f) => f.event.table))];
    const changes = changedTables(this.mirror, await this.schema.discover(), tables);
    for (const change of changes.values()) await this.pause(change);
    const held = new Set(changes.keys());
    const previous = await lastShapeChanges(this.ctx.pool, this.tool, tables.filter((t) => !held.has(t)));
    const stale = failures.filter((f) => {
      const change = previous.get(f.event.table);
      if (!change || f.column === undefined) return false;
      const columns = [...(change.added ?? []), ...(change.dropped ?? []), ...(change.retyped ?? []).map((r) => r.column)];
      return columns.includes(f.column);
    });
    for (const table of new Set(stale.map((f) => f.event.table))) {
      const config = this.mirror.tables.find((t) => t.name === table);
      if (!config) continue;
      const keys = stale.filter((f) => f.event.table === table).map((f) => f.event.key);
      await repairKeys(this.ctx.pool, this.tool, config, keys, `relay ${this.instance}`);
    }
    const superseded = stale.filter((f) => this.mirror!.tables.some((t) => t.name === f.event.table)).map((f) => f.event.seq);
    return { held, superseded };
  }

  private async pause(change: ShapeChange): Promise<void> {
    const reason = describeShapeChange(change);
    const { table, ...detail } = change;
    // The pause and its audit entry commit together.
    const paused = await withTransaction(this.ctx.pool, (tx) =>
      pauseTable(tx, this.tool, { table, reason, detail, seenResume: this.seenResume ?? null, actor: `relay ${this.instance}` }),
    );
    if (paused === 'paused') {
      this.ctx.log.warn({ table, ...detail }, reason);
      this.ctx.metrics.tablePauses.inc({ table });
    }
    // Resumed after this relay discovered the mirror: discover it again.
    if (paused === 'resumed-since') this.needsDiscovery = true;
  }

  private workerId(i: number): string {
    return `${this.instance}/w${i}`;
  }

  /**
   * Drains the outbox: returns once no event is pending (including those
   * waiting for a retry, or leased by another relay that may have died).
   */
  async drain(): Promise<RelaySummary> {
    const before = this.summary;
    const worker = async (i: number) => {
      for (;;) {
        const seen = this.endedRounds;
        const outcome = await this.round(this.workerId(i));
        if (outcome) continue;
        if (await outboxDrained(this.ctx.pool, this.tool)) return;
        const wait = (await secondsUntilNextClaimable(this.ctx.pool, this.tool)) ?? 0;
        // What is left may be in a sibling's claim, whose lease says when it
        // could be taken over, not when its round ends (usually much sooner):
        // wake as soon as a round of this relay ends, then look again. Without
        // this, the drain's last rounds left up to three workers asleep for
        // maxIdleMs (the lease's remaining time, capped) after the work was done.
        if (this.endedRounds !== seen) continue;
        await this.untilRoundEnds(Math.min(this.options.maxIdleMs, Math.max(this.ctx.breaker.waitMs(), wait * 1000, this.options.idleMs / 4)));
      }
    };
    await Promise.all(Array.from({ length: this.options.workers }, (_, i) => worker(i)));
    const after = this.summary;
    return { applied: after.applied - before.applied, retried: after.retried - before.retried, dead: after.dead - before.dead };
  }

  /** Sleeps `ms`, or less if a round of this relay ends first. */
  private async untilRoundEnds(ms: number): Promise<void> {
    const stop = new AbortController();
    try {
      await Promise.race([sleepFor(ms, undefined, { signal: stop.signal }), once(this.roundEnded, 'ended', { signal: stop.signal })]);
    } finally {
      // The race's loser rejects with an AbortError, which the race has already handled.
      stop.abort();
    }
  }

  /** Runs workers until `stop()`, pruning processed events now and then. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.workers; i++) this.loops.push(this.workerLoop(i));
    this.loops.push(this.pruneLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async workerLoop(i: number): Promise<void> {
    while (this.running) {
      try {
        const outcome = await this.round(this.workerId(i));
        if (!outcome) await sleepFor(Math.max(this.options.idleMs, this.ctx.breaker.waitMs()));
      } catch (err) {
        // Postgres itself failed (restart, network): log, wait, go on; leases make it safe.
        this.ctx.log.error({ err, worker: this.workerId(i) }, 'relay round failed');
        await sleepFor(1000);
      }
    }
  }

  private async pruneLoop(): Promise<void> {
    let last = 0;
    while (this.running) {
      if (Date.now() - last >= this.options.pruneEveryMs) {
        last = Date.now();
        try {
          const pruned = await pruneOutbox(this.ctx.pool, this.tool, new Date(Date.now() - this.options.retentionMs));
          if (pruned > 0) this.ctx.log.info({ pruned }, 'pruned processed outbox events');
        } catch (err) {
          this.ctx.log.error({ err }, 'outbox prune failed');
        }
      }
      await sleepFor(Math.min(1000, this.options.pruneEveryMs));
    }
  }
}
