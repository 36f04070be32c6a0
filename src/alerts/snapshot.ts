/**
 * What the rules look at: one snapshot per mirrored table. The source is a
 * port so tests (and a process with other signals) can feed values; the
 * Postgres source reads the tool's schema, which every Tandem process shares,
 * so the relay and the API server see the same numbers.
 */
import type pg from 'pg';
import { untrackedWrites } from '../capture/index.js';
import { latestParityDrift } from '../parity/history.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface RateValue {
  /** A share 0–1. */
  value: number;
  /** Events or reads it was computed over. */
  samples: number;
}

export interface TableSnapshot {
  table: string;
  /** Events captured in the window that failed at least once, over all captured in it. */
  mirrorFailureRate: RateValue;
  /** Age of the oldest pending change (0 when none). */
  lagSeconds: number;
  /** Seconds since a change of the table was last applied; null when none in the lookback. */
  secondsSinceApplied: number | null;
  deadLetters: number;
  /** Drift keys of the table's latest parity run (0 when never checked). */
  parityDrift: number;
  untrackedWrites: number;
  /** Shadow reads (Postgres against Convex) that differed, over those compared, in the window. */
  shadowDriftRate: RateValue;
  /** Age of the oldest Convex change of the table not yet in Postgres (0 when none, or not asked). */
  reverseSyncLagSeconds: number;
  /** Unresolved reverse-sync dead letters of the table. */
  reverseSyncDeadLetters: number;
}

export interface AlertSnapshotSource {
  read(tables: readonly string[]): Promise<TableSnapshot[]>;
}

export function emptySnapshot(table: string): TableSnapshot {
  return {
    table,
    mirrorFailureRate: { value: 0, samples: 0 },
    lagSeconds: 0,
    secondsSinceApplied: null,
    deadLetters: 0,
    parityDrift: 0,
    untrackedWrites: 0,
    shadowDriftRate: { value: 0, samples: 0 },
    reverseSyncLagSeconds: 0,
    reverseSyncDeadLetters: 0,
  };
}

interface ShadowReading {
  at: number;
  compared: number;
  drift: number;
}

export interface PostgresSnapshotOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  /** The window rates are computed over (seconds). */
  windowSeconds: number;
  /** How far back "last applied" looks (seconds); beyond it a table counts as never applied. */
  appliedLookbackSeconds: number;
  now?: () => number;
  /**
   * Reverse-sync lag per table, in seconds (it lives in Convex: the stack
   * passes reverseSyncLagByTable over its deployment). Without it, 0.
   */
  reverseSyncLag?: (tables: readonly string[]) => Promise<ReadonlyMap<string, number>>;
}

/**
 * Reads every signal from the tool's schema in a handful of grouped queries.
 * Shadow counts are totals since install (tandem.shadow_count), so the rate in
 * the window is the difference between this reading and the oldest one kept
 * from within the window.
 */
export class PostgresSnapshotSource implements AlertSnapshotSource {
  private readonly shadowReadings = new Map<string, ShadowReading[]>();
  private lastReverseLag: ReadonlyMap<string, number> = new Map();
  private readonly now: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresSnapshotOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async read(tables: readonly string[]): Promise<TableSnapshot[]> {
    const out = new Map(tables.map((t) => [t, emptySnapshot(t)]));
    const list = [...tables];
    const windowMs = this.options.windowSeconds * 1000;
    const outbox = await this.pool.query<{ table_name: string; lag: number | null; total: number; failing: number; since_applied: number | null }>(
      `WITH pending AS (
         SELECT table_name, extract(epoch FROM now() - min(captured_at))::float8 AS lag
           FROM ${this.options.tool.sql}.outbox WHERE status = 'pending' AND table_name = ANY($1::text[]) GROUP BY table_name),
       recent AS (
         SELECT table_name, count(*)::int AS total, count(*) FILTER (WHERE last_error IS NOT NULL)::int AS failing
           FROM ${this.options.tool.sql}.outbox
          WHERE captured_at > now() - $2::int * interval '1 millisecond' AND table_name = ANY($1::text[])
          GROUP BY table_name),
       applied AS (
         SELECT table_name, extract(epoch FROM now() - max(processed_at))::float8 AS since_applied
           FROM ${this.options.tool.sql}.outbox
          WHERE status = 'done' AND processed_at > now() - $3::int * interval '1 second' AND table_name = ANY($1::text[])
          GROUP BY table_name)
       SELECT t AS table_name, pending.lag, coalesce(recent.total, 0) AS total, coalesce(recent.failing, 0) AS failing,
              applied.since_applied
         FROM unnest($1::text[]) AS t
         LEFT JOIN pending ON pending.table_name = t
         LEFT JOIN recent ON recent.table_name = t
         LEFT JOIN applied ON applied.table_name = t`,
      [list, windowMs, this.options.appliedLookbackSeconds],
    );
    for (const r of outbox.rows) {
      const s = out.get(r.table_name)!;
      s.lagSeconds = Math.max(0, r.lag ?? 0);
      s.mirrorFailureRate = { value: r.total ? r.failing / r.total : 0, samples: r.total };
      s.secondsSinceApplied = r.since_applied === null ? null : Math.max(0, r.since_applied);
    }
    const dead = await this.pool.query<{ table_name: string; n: number }>(
      `SELECT table_name, count(*)::int AS n FROM ${this.options.tool.sql}.dead_letter
        WHERE resolved_at IS NULL AND table_name = ANY($1::text[]) GROUP BY table_name`,
      [list],
    );
    for (const r of dead.rows) out.get(r.table_name)!.deadLetters = r.n;
    const reverseDead = await this.pool.query<{ table_name: string; n: number }>(
      `SELECT table_name, count(*)::int AS n FROM ${this.options.tool.sql}.reverse_sync_dead_letter
        WHERE resolved_at IS NULL AND table_name = ANY($1::text[]) GROUP BY table_name`,
      [list],
    );
    for (const r of reverseDead.rows) out.get(r.table_name)!.reverseSyncDeadLetters = r.n;
    // Convex being unreachable must not stop the other rules: the last reading stands.
    if (this.options.reverseSyncLag)
      this.lastReverseLag = await this.options.reverseSyncLag(list).catch(() => this.lastReverseLag);
    for (const [table, lag] of this.lastReverseLag) {
      const s = out.get(table);
      if (s) s.reverseSyncLagSeconds = lag;
    }
    for (const [table, drift] of await latestParityDrift(this.pool, this.options.tool, list)) out.get(table)!.parityDrift = drift;
    for (const u of await untrackedWrites(this.pool, this.options.tool)) {
      const s = out.get(u.table);
      if (s) s.untrackedWrites = u.count;
    }
    await this.readShadow(list, out, windowMs);
    return [...out.values()];
  }

  private async readShadow(tables: string[], out: Map<string, TableSnapshot>, windowMs: number): Promise<void> {
    const { rows } = await this.pool.query<{ table_name: string; compared: string; drift: string }>(
      `SELECT table_name, sum(count) FILTER (WHERE class IN ('match', 'drift'))::text AS compared,
              sum(count) FILTER (WHERE class = 'drift')::text AS drift
         FROM ${this.options.tool.sql}.shadow_count WHERE mode = 'ab' AND table_name = ANY($1::text[]) GROUP BY table_name`,
      [tables],
    );
    const now = this.now();
    const totals = new Map(rows.map((r) => [r.table_name, { compared: Number(r.compared ?? 0), drift: Number(r.drift ?? 0) }]));
    for (const table of tables) {
      const current = { at: now, ...(totals.get(table) ?? { compared: 0, drift: 0 }) };
      const readings = (this.shadowReadings.get(table) ?? []).filter((r) => now - r.at <= windowMs);
      const base = readings[0];
      readings.push(current);
      this.shadowReadings.set(table, readings);
      if (!base) continue;
      const compared = current.compared - base.compared;
      const drift = current.drift - base.drift;
      out.get(table)!.shadowDriftRate = { value: compared > 0 ? drift / compared : 0, samples: Math.max(0, compared) };
    }
  }
}
