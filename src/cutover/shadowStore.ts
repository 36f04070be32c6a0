/**
 * What shadow reads found, kept in the tool's schema so `tandem shadow report`
 * (another process) and every instance see the same totals. Counts are added
 * up in memory and written once a second; differences are kept as samples
 * with both results, a few per table per minute, each result capped in size,
 * and the table trimmed to its newest rows.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import type { Queryable } from '../postgres/database.js';
import { sampleText, type ShadowClass, type ShadowMode } from './shadowCompare.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface ShadowOutcome {
  mode: ShadowMode;
  class: ShadowClass;
  read: string;
  tables: readonly string[];
  postgres?: unknown;
  convex?: unknown;
  /** Error text, or how a lag was resolved. */
  detail?: string;
}

export interface ShadowRecorderOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  /** How often counts and samples are written (ms). Default 1000. */
  flushMs?: number;
  /** Samples kept per table per minute, per process. Default 10. */
  samplesPerMinute?: number;
  /** Cap on each stored result (characters). Default 16,384. */
  maxResultChars?: number;
  /** Newest samples kept in the table. Default 1,000. */
  maxStoredSamples?: number;
  /** Longest close() waits for comparisons still under way (ms). Default 1,000. */
  closeWaitMs?: number;
  log?: Logger;
}

interface PendingSample {
  outcome: ShadowOutcome;
  at: Date;
}

export class ShadowRecorder {
  private counts = new Map<string, number>();
  private samples: PendingSample[] = [];
  private readonly sampledThisMinute = new Map<string, { minute: number; n: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly underWay = new Set<Promise<unknown>>();
  private closing = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: ShadowRecorderOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1000);
    this.timer.unref();
  }

  private count(tables: readonly string[], mode: ShadowMode, cls: ShadowClass | 'skipped'): void {
    for (const table of tables) {
      const key = `${table}\u0000${mode}\u0000${cls}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  }

  record(outcome: ShadowOutcome): void {
    this.count(outcome.tables, outcome.mode, outcome.class);
    if (outcome.class !== 'match' && this.takeSampleSlot(outcome.tables)) this.samples.push({ outcome, at: new Date() });
  }

  private takeSampleSlot(tables: readonly string[]): boolean {
    const minute = Math.floor(Date.now() / 60_000);
    const limit = this.options.samplesPerMinute ?? 10;
    const slots = tables.map((t) => {
      const s = this.sampledThisMinute.get(t);
      return s && s.minute === minute ? s : { minute, n: 0 };
    });
    if (slots.every((s) => s.n >= limit)) return false;
    tables.forEach((t, i) => this.sampledThisMinute.set(t, { minute, n: slots[i]!.n + 1 }));
    return true;
  }

  /** Writes what was recorded so far (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch((err: unknown) => {
      this.options.log?.warn({ err: (err as Error).message }, 'shadow results not written; kept for the next flush');
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const counts = this.counts;
    const samples = this.samples;
    if (counts.size === 0 && samples.length === 0) return;
    this.counts = new Map();
    this.samples = [];
    const max = this.options.maxResultChars ?? 16_384;
    try {
      if (counts.size > 0) {
        const entries = [...counts.entries()].map(([k, n]) => [...k.split('\u0000'), n] as const);
        await this.pool.query(
          `INSERT INTO ${this.options.tool.sql}.shadow_count AS c (table_name, mode, class, count)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
           ON CONFLICT (table_name, mode, class) DO UPDATE SET count = c.count + excluded.count, last_at = now()`,
          [entries.map((e) => e[0]), entries.map((e) => e[1]), entries.map((e) => e[2]), entries.map((e) => e[3])],
        );
      }
      for (const { outcome: o, at } of samples) {
        await this.pool.query(
          `INSERT INTO ${this.options.tool.sql}.shadow_sample (at, mode, class, read_name, tables, postgres_result, convex_result, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            at,
            o.mode,
            o.class,
            o.read,
            o.tables,
            'postgres' in o ? sampleText(o.postgres, max) : null,
            'convex' in o ? sampleText(o.convex, max) : null,
            o.detail ?? null,
          ],
        );
      }
      if (samples.length > 0)
        await this.pool.query(
          `DELETE FROM ${this.options.tool.sql}.shadow_sample WHERE id <= (SELECT id FROM ${this.options.tool.sql}.shadow_sample ORDER BY id DESC OFFSET $1 LIMIT 1)`,
          [this.options.maxStoredSamples ?? 1000],
        );
    } catch (err) {
      // Put the counts back so the next flush writes them (samples are expendable).
      for (const [k, n] of counts) this.counts.set(k, (this.counts.get(k) ?? 0) + n);
      throw err;
    }
  }

  /** Reads at `shadow` served uncompared because too many comparisons were under way (Reader's `shadow.maxInFlight`). */
  skipped(tables: readonly string[], mode: ShadowMode): void {
    this.count(tables, mode, 'skipped');
  }

  /**
   * Whether close() has begun: a comparison still re-checking a difference
   * stops then rather than query a pool its server is about to end.
   */
  get closed(): boolean {
    return this.closing;
  }

  /**
   * A comparison under way whose outcome will be recorded here: close() waits
   * for it (bounded), so a server stopping does not lose the comparisons of
   * the last reads it served.
   */
  expect(work: Promise<unknown>): void {
    this.underWay.add(work);
    const done = () => this.underWay.delete(work);
    work.then(done, done);
  }

  /**
   * Waits up to `closeWaitMs` for the comparisons under way, then writes what
   * was recorded. Comparisons still running then (a difference being
   * re-checked, a Convex read near its timeout) are logged and not waited for.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    const waitMs = this.options.closeWaitMs ?? 1000;
    const deadline = Date.now() + waitMs;
    // Loop: a comparison may start while others finish (a read served during the stop).
    while (this.underWay.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.underWay]),
        new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
    if (this.underWay.size > 0)
      this.options.log?.warn(
        { unfinished: this.underWay.size, waitedMs: waitMs },
        'shadow comparisons still under way at close; their outcomes are not recorded',
      );
    await this.flush();
  }
}

export interface ShadowSample {
  at: string;
  class: ShadowClass;
  read: string;
  tables: string[];
  postgres: string | null;
  convex: string | null;
  detail: string | null;
}

export interface ShadowTableReport {
  /** match + lag + drift + error. */
  compared: number;
  match: number;
  lag: number;
  drift: number;
  error: number;
  /** Reads at `shadow` served uncompared: too many comparisons were under way (not part of `compared`). */
  skipped: number;
  /** The newest samples of differences involving the table. */
  samples: ShadowSample[];
}

export interface ShadowReport {
  /** Postgres against Convex. */
  tables: Record<string, ShadowTableReport>;
  /** Postgres against Postgres (A/A): the noise floor. */
  aa: Record<string, ShadowTableReport>;
}

/** The totals of every process's shadow reads, with the newest `samples` samples per table. */
export async function shadowReport(db: Queryable, tool: ToolSchema, options: { samples?: number } = {}): Promise<ShadowReport> {
  const { rows } = await db.query<{ table_name: string; mode: ShadowMode; class: ShadowClass | 'skipped'; count: string }>(
    `SELECT table_name, mode, class, count FROM ${tool.sql}.shadow_count ORDER BY table_name`,
  );
  const report: ShadowReport = { tables: {}, aa: {} };
  for (const r of rows) {
    const into = r.mode === 'aa' ? report.aa : report.tables;
    const t = (into[r.table_name] ??= { compared: 0, match: 0, lag: 0, drift: 0, error: 0, skipped: 0, samples: [] });
    t[r.class] += Number(r.count);
    if (r.class !== 'skipped') t.compared += Number(r.count);
  }
  const limit = options.samples ?? 3;
  if (limit > 0) {
    for (const [mode, into] of [['ab', report.tables], ['aa', report.aa]] as const) {
      for (const [table, t] of Object.entries(into)) {
        const samples = await db.query<{
          at: Date;
          class: ShadowClass;
          read_name: string;
          tables: string[];
          postgres_result: string | null;
          convex_result: string | null;
          detail: string | null;
        }>(
          `SELECT at, class, read_name, tables, postgres_result, convex_result, detail FROM ${tool.sql}.shadow_sample
            WHERE mode = $1 AND $2 = ANY(tables) ORDER BY id DESC LIMIT $3`,
          [mode, table, limit],
        );
        t.samples = samples.rows.map((s) => ({
          at: s.at.toISOString(),
          class: s.class,
          read: s.read_name,
          tables: s.tables,
          postgres: s.postgres_result,
          convex: s.convex_result,
          detail: s.detail,
        }));
      }
    }
  }
  return report;
}
