/**
 * The control room's server side over any application's mirrored tables:
 * the overview and its live updates, the time series and their sampler, the
 * checklist, read-stage controls, dead letters, history and audit. Every
 * change goes through the library function that owns it (flagStore,
 * deadLetters), which validates, writes in one transaction and audits; the
 * control room checks the request first so bad input writes nothing.
 */
import type pg from 'pg';
import { NotFoundError } from '../core/errors.js';
import { READ_STAGES } from '../cutover/readStages.js';
import { rollbackReadStages, setReadStage } from '../cutover/flagStore.js';
import type { Logger } from '../log.js';
import type { MirrorConfig } from '../mapping/index.js';
import { listRuns } from '../parity/history.js';
import { checklist, type PhaseSources, type TableChecklist } from '../phases/gates.js';
import { discardDeadLetter, retryDeadLetters } from '../outbox/deadLetters.js';
import { auditEntries, type AuditViewEntry } from './auditView.js';
import { deadLetterViews, type DeadLetterView } from './deadLetterView.js';
import {
  discardBody,
  limitQuery,
  parseRequest,
  rollbackBody,
  seriesQuery,
  setFlagBody,
  tableLimitQuery,
} from './inputs.js';
import { LiveOverview } from './liveOverview.js';
import { readSeries, type Series } from './metricStore.js';
import { OverviewBuilder, readPercent } from './overview.js';
import { ConvexRowCache, type ConvexRowCounter } from './rowCounts.js';
import { MetricSampler } from './sampler.js';
import { flagStates } from './tableStats.js';
import { NO_ALERTS, type AlertHistoryEntry, type AlertSource, type Overview } from './types.js';
import type { Retention } from './metricStore.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface ControlRoomOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  mirror: MirrorConfig;
  log: Logger;
  /** The clock (tests move it); default the system's. */
  now?: () => Date;
  /** Alerts firing and their history (default: none, until an alert engine is wired in). */
  alerts?: AlertSource;
  /** Counts a table's rows in Convex; without it the latest parity run's count is shown. */
  convexRows?: ConvexRowCounter;
  /** How often Convex rows are recounted per table (default 60 s). */
  convexRowsEveryMs?: number;
  /** Facts the checklist's later gates need (alert rules, write stages, guard). */
  phaseSources?: PhaseSources;
  /** Sampling interval of the time series (default 10 s). */
  sampleIntervalMs?: number;
  retention?: Retention;
  /** How often live subscribers' overview is rebuilt and compared (default 1 s). */
  liveCheckMs?: number;
  slowRefreshMs?: number;
}

export interface FlagsView {
  stages: readonly string[];
  tables: Array<{
    table: string;
    stage: string;
    percent: number | null;
    /** Milliseconds since the epoch; null when the stage was never set. */
    updatedAt: number | null;
    updatedBy: string | null;
  }>;
}

export class ControlRoom {
  readonly overviews: OverviewBuilder;
  readonly live: LiveOverview;
  readonly sampler: MetricSampler;
  private readonly now: () => Date;
  private readonly alerts: AlertSource;

  constructor(private readonly options: ControlRoomOptions) {
    this.now = options.now ?? (() => new Date());
    this.alerts = options.alerts ?? NO_ALERTS;
    const convexRows = new ConvexRowCache(
      options.convexRows,
      options.convexRowsEveryMs ?? 60_000,
      (table, err) => options.log.warn({ table, err }, 'control room: counting Convex rows failed'),
    );
    this.overviews = new OverviewBuilder({
      pool: options.pool,
      tool: options.tool,
      mirror: options.mirror,
      now: this.now,
      alerts: this.alerts,
      convexRows,
      phaseSources: options.phaseSources,
      slowRefreshMs: options.slowRefreshMs,
    });
    this.live = new LiveOverview(() => this.overview(), options.log, options.liveCheckMs);
    this.sampler = new MetricSampler({
      pool: options.pool,
      tool: options.tool,
      overview: () => this.overview(),
      log: options.log,
      now: this.now,
      intervalMs: options.sampleIntervalMs,
      retention: options.retention,
    });
  }

  get tables(): string[] {
    return this.overviews.tables;
  }

  /** Starts the sampler (the routes work without it). */
  start(): void {
    this.sampler.start();
  }

  async stop(): Promise<void> {
    this.live.stop();
    await this.sampler.stop();
  }

  /** 404 naming the table unless it is mirrored. */
  requireTable(table: string): string {
    if (!this.tables.includes(table)) throw new NotFoundError('mirrored table', table, 'table');
    return table;
  }

  overview(): Promise<Overview> {
    return this.overviews.build();
  }

  async series(
    query: unknown,
  ): Promise<{ metric: string; window: string; stepSeconds: number; series: Series[] }> {
    const q = parseRequest(seriesQuery, query, 'query');
    const tables = q.table === undefined ? this.tables : [this.requireTable(q.table)];
    const result = await readSeries(this.options.pool, this.options.tool, {
      metric: q.metric,
      window: q.window,
      tables,
      now: this.now(),
      rawStepSeconds: this.sampler.intervalMs / 1000,
    });
    return { metric: q.metric, window: q.window, ...result };
  }

  async checklist(table: string): Promise<TableChecklist> {
    this.requireTable(table);
    const [list] = await checklist(this.options.pool, this.options.tool, this.options.mirror, [table], {
      now: this.now(),
      sources: this.options.phaseSources,
    });
    return list!;
  }

  async flags(): Promise<FlagsView> {
    const stored = await flagStates(this.options.pool, this.options.tool);
    return {
      stages: READ_STAGES,
      tables: this.tables.map((table) => {
        const f = stored.get(table);
        const stage = (f?.stage ?? 'postgres') as (typeof READ_STAGES)[number];
        return {
          table,
          stage,
          percent: readPercent(stage, f?.percent ?? 0),
          updatedAt: f?.updatedAt ? f.updatedAt.getTime() : null,
          updatedBy: f?.updatedBy ?? null,
        };
      }),
    };
  }

  async setFlag(table: string, body: unknown, actor: string): Promise<FlagsView> {
    this.requireTable(table);
    const b = parseRequest(setFlagBody, body, 'body');
    await setReadStage(this.options.pool, this.options.tool, this.tables, {
      table,
      stage: b.stage,
      percent: b.percent,
      why: b.reason,
      actor,
      force: b.force,
    });
    this.overviews.invalidate();
    return this.flags();
  }

  async rollback(table: string, body: unknown, actor: string): Promise<FlagsView> {
    this.requireTable(table);
    const b = parseRequest(rollbackBody, body, 'body');
    await rollbackReadStages(this.options.pool, this.options.tool, [table], this.tables, { why: b.reason, actor });
    this.overviews.invalidate();
    return this.flags();
  }

  async deadLetters(query: unknown): Promise<{ deadLetters: DeadLetterView[] }> {
    const q = parseRequest(tableLimitQuery, query, 'query');
    if (q.table !== undefined) this.requireTable(q.table);
    return {
      deadLetters: await deadLetterViews(this.options.pool, this.options.tool, { table: q.table, limit: q.limit }),
    };
  }

  async retryDeadLetter(id: number, actor: string): Promise<{ retried: number[] }> {
    return { retried: await retryDeadLetters(this.options.pool, this.options.tool, [id], actor) };
  }

  async discardDeadLetter(
    id: number,
    body: unknown,
    actor: string,
  ): Promise<{ discarded: number }> {
    const b = parseRequest(discardBody, body, 'body');
    await discardDeadLetter(this.options.pool, this.options.tool, id, actor, b.reason);
    return { discarded: id };
  }

  async parityHistory(query: unknown): Promise<{ runs: unknown[] }> {
    const q = parseRequest(tableLimitQuery, query, 'query');
    if (q.table !== undefined) this.requireTable(q.table);
    const runs = await listRuns(this.options.pool, this.options.tool, {
      table: q.table,
      kind: 'parity',
      limit: q.limit,
      now: this.now(),
    });
    return {
      runs: runs.map((r) => ({
        id: r.id,
        table: r.table,
        mode: r.mode,
        startedAt: r.startedAt.getTime(),
        finishedAt: r.finishedAt.getTime(),
        pgRows: r.pgRows,
        convexRows: r.convexRows,
        compared: r.compared,
        driftCount: r.driftCount,
        pendingCount: r.pendingCount,
        clean: r.clean,
        note: r.note,
      })),
    };
  }

  async alertHistory(query: unknown): Promise<{ alerts: AlertHistoryEntry[] }> {
    const q = parseRequest(limitQuery, query, 'query');
    return { alerts: await this.alerts.history(q.limit) };
  }

  async audit(query: unknown): Promise<{ entries: AuditViewEntry[] }> {
    const q = parseRequest(limitQuery, query, 'query');
    return { entries: await auditEntries(this.options.pool, this.options.tool, q.limit) };
  }
}
