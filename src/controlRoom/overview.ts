/**
 * One row per mirrored table with everything an operator watches. Split in
 * two by cost: the figures that move every second (outbox, applies, dead
 * letters, stages, parity drift, untracked writes) are grouped queries read on
 * every call; the phase checklist, the parity streak and the row counts take
 * several queries per table (or a count over a table), so they are kept for
 * `slowRefreshMs` and recomputed by one caller at a time.
 */
import type pg from 'pg';
import type { ReadStage } from '../cutover/readStages.js';
import type { MirrorConfig } from '../mapping/index.js';
import { parityStatus } from '../parity/streak.js';
import { checklist, type PhaseSources } from '../phases/gates.js';
import { ConvexRowCache, postgresRowCount, type PostgresRows } from './rowCounts.js';
import {
  appliedStats,
  deadLetterCounts,
  flagStates,
  latestParity,
  pendingStats,
  successRate,
  untrackedCounts,
} from './tableStats.js';
import type { AlertSource, Overview, TableOverview } from './types.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** The window success rate and latency are computed over. */
export const RATE_WINDOW_MS = 5 * 60_000;

export interface OverviewSources {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  mirror: MirrorConfig;
  now: () => Date;
  alerts: AlertSource;
  convexRows: ConvexRowCache;
  phaseSources?: PhaseSources;
  /** How long the checklist, streaks and row counts are reused (default 5 s). */
  slowRefreshMs?: number;
}

interface SlowFacts {
  at: number;
  phases: Map<string, { phase: string; nextGate: string | null }>;
  streaks: Map<string, number>;
  rows: Map<string, PostgresRows | null>;
}

export function readPercent(stage: ReadStage, percent: number): number | null {
  switch (stage) {
    case 'postgres':
    case 'shadow':
      return 0;
    case 'convex-internal':
      return null;
    case 'convex-percent':
      return percent;
    case 'convex':
      return 100;
  }
}

export class OverviewBuilder {
  private slow: SlowFacts | null = null;
  private slowRunning: Promise<SlowFacts> | null = null;

  constructor(private readonly sources: OverviewSources) {}

  get tables(): string[] {
    return this.sources.mirror.tables.map((t) => t.name);
  }

  /** Forgets the slow facts, so the next overview recomputes them (after a change made here). */
  invalidate(): void {
    this.slow = null;
  }

  private async computeSlow(now: Date): Promise<SlowFacts> {
    const { pool, mirror } = this.sources;
    const lists = await checklist(pool, this.sources.tool, mirror, this.tables, {
      now,
      sources: this.sources.phaseSources,
    });
    const phases = new Map(
      lists.map((l) => [l.table, { phase: l.phase, nextGate: l.unmet[0] ?? null }]),
    );
    const streaks = new Map<string, number>();
    const rows = new Map<string, PostgresRows | null>();
    for (const t of mirror.tables) {
      streaks.set(t.name, (await parityStatus(pool, this.sources.tool, now, { table: t.name })).streakDays);
      rows.set(t.name, await postgresRowCount(pool, t.schema, t.name));
    }
    return { at: now.getTime(), phases, streaks, rows };
  }

  private async slowFacts(now: Date): Promise<SlowFacts> {
    const fresh = this.slow && now.getTime() - this.slow.at < (this.sources.slowRefreshMs ?? 5_000);
    if (fresh) return this.slow!;
    this.slowRunning ??= this.computeSlow(now)
      .then((facts) => (this.slow = facts))
      .finally(() => (this.slowRunning = null));
    return this.slowRunning;
  }

  async build(): Promise<Overview> {
    const { pool, alerts, convexRows } = this.sources;
    const now = this.sources.now();
    const slow = await this.slowFacts(now);
    // Independent reads: in parallel over the pool's connections.
    const [pending, applied, dead, parity, untracked, flags, firing] = await Promise.all([
      pendingStats(pool, this.sources.tool, now),
      appliedStats(pool, this.sources.tool, new Date(now.getTime() - RATE_WINDOW_MS), now),
      deadLetterCounts(pool, this.sources.tool),
      latestParity(pool, this.sources.tool, now),
      untrackedCounts(pool, this.sources.tool),
      flagStates(pool, this.sources.tool),
      alerts.firingByTable(),
    ]);
    void convexRows.refresh(this.tables, now.getTime());
    const tables = this.tables.map((table): TableOverview => {
      const p = pending.get(table);
      const a = applied.get(table);
      const flag = flags.get(table);
      const stage = (flag?.stage ?? 'postgres') as ReadStage;
      const pgRows = slow.rows.get(table) ?? null;
      return {
        table,
        phase: slow.phases.get(table)?.phase ?? 'not-mirrored',
        nextGate: slow.phases.get(table)?.nextGate ?? null,
        readStage: stage,
        readPercent: readPercent(stage, flag?.percent ?? 0),
        rows: {
          postgres: pgRows?.rows ?? null,
          convex: convexRows.get(table) ?? parity.get(table)?.convexRows ?? null,
          postgresEstimated: pgRows?.estimated ?? false,
        },
        successRate: successRate(a, p),
        applyLatencyMs: a?.latencyMs ?? null,
        outboxPending: p?.pending ?? 0,
        oldestPendingSeconds: p?.oldestPendingSeconds ?? null,
        retryQueue: p?.retrying ?? 0,
        deadLetters: dead.get(table) ?? 0,
        drift: parity.get(table)?.driftKeys ?? null,
        parityStreakDays: slow.streaks.get(table) ?? 0,
        untrackedWrites: untracked.get(table) ?? 0,
        alertsFiring: firing.get(table) ?? 0,
      };
    });
    return { generatedAt: now.getTime(), tables };
  }
}
