/**
 * Records the overview's per-table figures as time series every interval
 * (10 s by default), then rolls up and prunes (metricStore). Each sample's
 * time is the interval boundary it falls in, so samples line up on the charts'
 * grid, and two processes sampling the same boundary write one row.
 * The clock and the interval are injectable so tests can step through hours.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import {
  compactSamples,
  DEFAULT_RETENTION,
  recordSamples,
  type Retention,
  type Sample,
} from './metricStore.js';
import type { Overview } from './types.js';
import type { ToolSchema } from '../core/toolSchema.js';

export const DEFAULT_SAMPLE_INTERVAL_MS = 10_000;

/** The series values of one overview (lag is 0 while nothing is pending). */
export function samplesOf(overview: Overview): Sample[] {
  return overview.tables.flatMap((t): Sample[] => [
    { metric: 'successRate', table: t.table, value: t.successRate },
    { metric: 'latencyP50', table: t.table, value: t.applyLatencyMs?.p50 ?? null },
    { metric: 'latencyP99', table: t.table, value: t.applyLatencyMs?.p99 ?? null },
    { metric: 'lag', table: t.table, value: t.oldestPendingSeconds ?? 0 },
    { metric: 'retryQueue', table: t.table, value: t.retryQueue },
    { metric: 'drift', table: t.table, value: t.drift },
    { metric: 'outboxPending', table: t.table, value: t.outboxPending },
  ]);
}

export interface SamplerOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  overview: () => Promise<Overview>;
  log: Logger;
  now?: () => Date;
  intervalMs?: number;
  retention?: Retention;
}

export class MetricSampler {
  readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: SamplerOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
  }

  /** Takes one sample at the current interval boundary, then rolls up and prunes. */
  async sampleOnce(): Promise<void> {
    const overview = await this.options.overview();
    const now = this.options.now?.() ?? new Date(overview.generatedAt);
    const at = new Date(Math.floor(now.getTime() / this.intervalMs) * this.intervalMs);
    await recordSamples(this.options.pool, this.options.tool, at, samplesOf(overview));
    await compactSamples(this.options.pool, this.options.tool, now, this.options.retention ?? DEFAULT_RETENTION);
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      // A round still running (a slow database) is not overlapped: the next boundary takes the next sample.
      if (this.running) return;
      this.running = this.sampleOnce()
        .catch((err: unknown) => this.options.log.warn({ err }, 'control room: sampling failed'))
        .finally(() => (this.running = null));
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
