/**
 * Automatic rollback: every `intervalMs` (250 by default, so a breach acts
 * within a second) each table past `postgres` is checked against its rules;
 * a rule breached for its whole `for` duration sets the table back to
 * `postgres` through the flag store (audited with the rule and the values it
 * saw), logs, counts a metric, and refreshes this process's stages at once.
 * It only ever moves tables back: nothing here moves a table forward.
 *
 * Signals: from the tool's schema (shared by every process) the mirror
 * failure rate (events captured in the window that failed at least once),
 * outbox lag (age of the oldest pending change), unresolved dead letters and
 * the drift of the table's latest parity run; from this process's reads
 * (ReadStats) the shadow drift rate and the Convex read error rate. Every
 * instance may run a monitor: a second rollback of a table already back is a
 * no-op. Given an alert raiser (the alert monitor, src/alerts), each rollback
 * also raises a `readRollback` alert, recorded in the alert history and sent
 * to the alert sinks.
 */
import type pg from 'pg';
import type { RollbackPolicy, RollbackRule, RollbackSignal } from '../config/projectConfig.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../log.js';
import { rollbackReadStages, type StageChange } from './flagStore.js';
import type { CutoverMetrics } from './metrics.js';
import type { ReadStats } from './readStats.js';
import type { TableStage } from './decide.js';
import type { ToolSchema } from '../core/toolSchema.js';

export const ROLLBACK_SIGNALS: readonly RollbackSignal[] = [
  'mirrorFailureRate',
  'outboxLagSeconds',
  'deadLetters',
  'parityDrift',
  'shadowDriftRate',
  'convexReadErrorRate',
];

const RATES = new Set<RollbackSignal>(['mirrorFailureRate', 'shadowDriftRate', 'convexReadErrorRate']);

export interface AutoRollbackOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  flags: { stageOf(table: string): TableStage; refresh(): Promise<void> };
  stats: ReadStats;
  policy: RollbackPolicy;
  /** The mirrored tables (rules for other tables are refused). */
  tables: readonly string[];
  metrics?: CutoverMetrics;
  log?: Logger;
  /** Where "an alert fires" goes: the alert monitor's raise (AlertMonitor.raise). */
  alerts?: AlertRaiser;
  actor?: string;
  intervalMs?: number;
  now?: () => number;
}

export interface SignalValue {
  value: number;
  /** Events or reads the rate was computed over (rates only). */
  samples?: number;
}

export interface RollbackTrip {
  table: string;
  rule: RollbackSignal;
  observed: SignalValue;
  threshold: number;
  forMs: number;
  change: StageChange | null;
}

type TableSignals = Partial<Record<RollbackSignal, SignalValue>>;

/** Raises a one-off alert; AlertMonitor implements it. */
export interface AlertRaiser {
  raise(alert: {
    rule: string;
    table: string;
    severity: 'info' | 'warning' | 'critical';
    value: number;
    threshold: number;
    summary: string;
  }): Promise<void>;
}

export class AutoRollback {
  private readonly breachSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AutoRollbackOptions) {
    this.now = options.now ?? Date.now;
    for (const table of Object.keys(options.policy.tables))
      if (!options.tables.includes(table))
        throw new ConfigError(
          `cutover.rollback.tables.${table}`,
          `not a mirrored table (known: ${options.tables.join(', ')})`,
        );
  }

  rulesFor(table: string): Partial<Record<RollbackSignal, RollbackRule>> {
    return this.options.policy.tables[table] ?? this.options.policy.default;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().catch((err: unknown) => {
        this.options.log?.warn({ err: (err as Error).message }, 'rollback rules not evaluated');
      }).finally(() => (this.ticking = undefined));
    }, this.options.intervalMs ?? 250);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Evaluates every rule once; returns the rollbacks it made. */
  async tick(): Promise<RollbackTrip[]> {
    const watched = this.options.tables.filter(
      (t) => this.options.flags.stageOf(t).stage !== 'postgres' && Object.keys(this.rulesFor(t)).length > 0,
    );
    if (watched.length === 0) {
      this.breachSince.clear();
      return [];
    }
    const signals = await this.readSignals(watched);
    const trips: RollbackTrip[] = [];
    for (const table of watched) {
      for (const [rule, r] of Object.entries(this.rulesFor(table)) as Array<[RollbackSignal, RollbackRule]>) {
        const observed = signals.get(table)?.[rule] ?? { value: 0, samples: 0 };
        const key = `${table}\u0000${rule}`;
        const breached = observed.value > r.threshold && (!RATES.has(rule) || (observed.samples ?? 0) >= r.minSamples);
        if (!breached) {
          this.breachSince.delete(key);
          continue;
        }
        const since = this.breachSince.get(key) ?? this.now();
        this.breachSince.set(key, since);
        if (this.now() - since < r.forMs) continue;
        trips.push(await this.trip(table, rule, observed, r));
        break;
      }
    }
    if (trips.length > 0) await this.options.flags.refresh();
    return trips;
  }

  private async trip(table: string, rule: RollbackSignal, observed: SignalValue, r: RollbackRule): Promise<RollbackTrip> {
    const detail = { value: observed.value, samples: observed.samples ?? null, threshold: r.threshold, forMs: r.forMs };
    const [change] = await rollbackReadStages(this.options.pool, this.options.tool, [table], this.options.tables, {
      actor: this.options.actor ?? 'tandem auto-rollback',
      why: `automatic: ${rule} ${round(observed.value)} > ${r.threshold} for ${r.forMs} ms`,
      rule,
      detail,
    });
    for (const key of [...this.breachSince.keys()]) if (key.startsWith(`${table}\u0000`)) this.breachSince.delete(key);
    if (change) {
      this.options.metrics?.rollbacks.inc({ table, rule });
      this.options.log?.error({ table, rule, ...detail, from: change.from.stage }, 'read stage rolled back to postgres');
      await this.options.alerts
        ?.raise({
          rule: 'readRollback',
          table,
          severity: 'critical',
          value: observed.value,
          threshold: r.threshold,
          summary: `${table}: reads rolled back from ${change.from.stage} to postgres (${rule} ${round(observed.value)} > ${r.threshold})`,
        })
        .catch((err: unknown) => this.options.log?.warn({ table, err: (err as Error).message }, 'rollback alert not raised'));
    }
    return { table, rule, observed, threshold: r.threshold, forMs: r.forMs, change: change ?? null };
  }

  private async readSignals(tables: string[]): Promise<Map<string, TableSignals>> {
    const { pool, stats, policy } = this.options;
    const windowMs = policy.windowSeconds * 1000;
    const out = new Map<string, TableSignals>(tables.map((t) => [t, {}]));
    const needs = (signal: RollbackSignal) => tables.some((t) => this.rulesFor(t)[signal]);
    const set = (table: string, signal: RollbackSignal, v: SignalValue) => {
      const s = out.get(table);
      if (s) s[signal] = v;
    };
    if (needs('outboxLagSeconds') || needs('mirrorFailureRate')) {
      const { rows } = await pool.query<{ table_name: string; lag: number | null; total: number; failing: number }>(
        `SELECT table_name,
                extract(epoch FROM now() - min(captured_at) FILTER (WHERE status = 'pending'))::float8 AS lag,
                count(*) FILTER (WHERE captured_at > now() - $2::int * interval '1 millisecond')::int AS total,
                count(*) FILTER (WHERE captured_at > now() - $2::int * interval '1 millisecond'
                                   AND last_error IS NOT NULL)::int AS failing
           FROM ${this.options.tool.sql}.outbox
          WHERE table_name = ANY($1::text[])
            AND (status = 'pending' OR captured_at > now() - $2::int * interval '1 millisecond')
          GROUP BY table_name`,
        [tables, windowMs],
      );
      for (const r of rows) {
        set(r.table_name, 'outboxLagSeconds', { value: r.lag ?? 0 });
        set(r.table_name, 'mirrorFailureRate', { value: r.total ? r.failing / r.total : 0, samples: r.total });
      }
    }
    if (needs('deadLetters')) {
      const { rows } = await pool.query<{ table_name: string; n: number }>(
        `SELECT table_name, count(*)::int AS n FROM ${this.options.tool.sql}.dead_letter
          WHERE resolved_at IS NULL AND table_name = ANY($1::text[]) GROUP BY table_name`,
        [tables],
      );
      for (const r of rows) set(r.table_name, 'deadLetters', { value: r.n });
    }
    if (needs('parityDrift')) {
      const { rows } = await pool.query<{ table_name: string; drift: number }>(
        `SELECT DISTINCT ON (table_name) table_name, drift_count AS drift FROM ${this.options.tool.sql}.parity_run
          WHERE kind = 'parity' AND table_name = ANY($1::text[]) ORDER BY table_name, finished_at DESC, id DESC`,
        [tables],
      );
      for (const r of rows) set(r.table_name, 'parityDrift', { value: r.drift });
    }
    for (const table of tables) {
      const compared = stats.count(table, 'shadowCompared', windowMs);
      set(table, 'shadowDriftRate', { value: compared ? stats.count(table, 'shadowDrift', windowMs) / compared : 0, samples: compared });
      const reads = stats.count(table, 'convexReads', windowMs);
      set(table, 'convexReadErrorRate', { value: reads ? stats.count(table, 'convexErrors', windowMs) / reads : 0, samples: reads });
    }
    return out;
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
