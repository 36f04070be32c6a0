/**
 * The control room's time series in tandem.metric_sample (migration 0012):
 * raw samples, 1-minute and 1-hour rollups, each pruned past its retention,
 * and the windowed reads the charts ask for. Rollups only cover buckets that
 * are complete at `now` and are recomputed from their source rows, so running
 * them twice, or from two processes, gives the same rows.
 *
 * Buckets are cut with date_bin from the Unix epoch, not date_trunc, so an
 * hour is the same hour whatever the session's time zone.
 */
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

export const METRICS = [
  'successRate',
  'latencyP50',
  'latencyP99',
  'lag',
  'retryQueue',
  'drift',
  'outboxPending',
] as const;
export type MetricName = (typeof METRICS)[number];

export const WINDOWS = ['15m', '1h', '6h', '24h', '7d'] as const;
export type WindowName = (typeof WINDOWS)[number];

export type Resolution = 'raw' | '1m' | '1h';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

/** Raw samples ~6 h, minutes ~2 days, hours ~30 days. */
export const DEFAULT_RETENTION: Retention = {
  rawMs: 6 * HOUR_MS,
  minuteMs: 48 * HOUR_MS,
  hourMs: 30 * 24 * HOUR_MS,
};

export interface Sample {
  metric: MetricName;
  table: string;
  value: number | null;
}

/** Stores one sampling round at `at` (a second sample of the same bucket replaces the first). */
export async function recordSamples(
  db: Queryable, tool: ToolSchema,
  at: Date,
  samples: readonly Sample[],
): Promise<void> {
  if (samples.length === 0) return;
  await db.query(
    `INSERT INTO ${tool.sql}.metric_sample (resolution, metric, table_name, bucket, value, samples)
     SELECT 'raw', m, t, $1, v, CASE WHEN v IS NULL THEN 0 ELSE 1 END
       FROM unnest($2::text[], $3::text[], $4::float8[]) AS s(m, t, v)
     ON CONFLICT (resolution, metric, table_name, bucket)
       DO UPDATE SET value = excluded.value, samples = excluded.samples`,
    [at, samples.map((s) => s.metric), samples.map((s) => s.table), samples.map((s) => s.value)],
  );
}

/**
 * Rolls `from` rows into `to` buckets of `bucketMs`: every complete bucket
 * from the latest `to` bucket already written (recomputed, it may have been
 * partial) up to the one holding `now` (excluded). The value is the mean of
 * the source values weighted by their sample counts; a bucket whose sources
 * are all null keeps a null value with 0 samples.
 */
async function rollUp(
  db: Queryable, tool: ToolSchema,
  from: Resolution,
  to: Resolution,
  bucketMs: number,
  now: Date,
): Promise<void> {
  await db.query(
    `WITH since AS (SELECT coalesce(max(bucket), '-infinity'::timestamptz) AS t
                      FROM ${tool.sql}.metric_sample WHERE resolution = $2)
     INSERT INTO ${tool.sql}.metric_sample (resolution, metric, table_name, bucket, value, samples)
     SELECT $2, metric, table_name,
            date_bin(make_interval(secs => $3::float8 / 1000), bucket, 'epoch'::timestamptz) AS b,
            sum(value * samples) / nullif(sum(samples) FILTER (WHERE value IS NOT NULL), 0),
            coalesce(sum(samples) FILTER (WHERE value IS NOT NULL), 0)
       FROM ${tool.sql}.metric_sample, since
      WHERE resolution = $1 AND bucket >= since.t
        AND bucket < date_bin(make_interval(secs => $3::float8 / 1000), $4::timestamptz, 'epoch'::timestamptz)
      GROUP BY metric, table_name, b
     ON CONFLICT (resolution, metric, table_name, bucket)
       DO UPDATE SET value = excluded.value, samples = excluded.samples`,
    [from, to, bucketMs, now],
  );
}

/** Rolls raw samples into minutes and minutes into hours, then prunes each resolution past its retention. */
export async function compactSamples(
  db: Queryable, tool: ToolSchema,
  now: Date,
  retention: Retention = DEFAULT_RETENTION,
): Promise<void> {
  await rollUp(db, tool, 'raw', '1m', MINUTE_MS, now);
  await rollUp(db, tool, '1m', '1h', HOUR_MS, now);
  await db.query(
    `DELETE FROM ${tool.sql}.metric_sample
      WHERE (resolution = 'raw' AND bucket < $1) OR (resolution = '1m' AND bucket < $2)
         OR (resolution = '1h' AND bucket < $3)`,
    [
      new Date(now.getTime() - retention.rawMs),
      new Date(now.getTime() - retention.minuteMs),
      new Date(now.getTime() - retention.hourMs),
    ],
  );
}

export interface StoredSample {
  resolution: Resolution;
  metric: string;
  table: string;
  bucket: Date;
  value: number | null;
  samples: number;
}

/** Every stored row of a resolution, in (metric, table, bucket) order: for tests and inspection. */
export async function storedSamples(
  db: Queryable, tool: ToolSchema,
  resolution: Resolution,
): Promise<StoredSample[]> {
  const { rows } = await db.query<{
    metric: string;
    table_name: string;
    bucket: Date;
    value: number | null;
    samples: number;
  }>(
    `SELECT metric, table_name, bucket, value, samples FROM ${tool.sql}.metric_sample
      WHERE resolution = $1 ORDER BY metric, table_name, bucket`,
    [resolution],
  );
  return rows.map((r) => ({
    resolution,
    metric: r.metric,
    table: r.table_name,
    bucket: new Date(r.bucket),
    value: r.value,
    samples: r.samples,
  }));
}

/** Which resolution answers a window, and the chart's step. Raw steps are the sampler's interval. */
export function windowPlan(
  window: WindowName,
  rawStepSeconds: number,
): { ms: number; resolution: Resolution; stepSeconds: number } {
  switch (window) {
    case '15m':
      return { ms: 15 * MINUTE_MS, resolution: 'raw', stepSeconds: rawStepSeconds };
    case '1h':
      return { ms: HOUR_MS, resolution: 'raw', stepSeconds: Math.max(rawStepSeconds, 10) };
    case '6h':
      return { ms: 6 * HOUR_MS, resolution: '1m', stepSeconds: 60 };
    case '24h':
      return { ms: 24 * HOUR_MS, resolution: '1m', stepSeconds: 300 };
    case '7d':
      return { ms: 7 * 24 * HOUR_MS, resolution: '1h', stepSeconds: 3600 };
  }
}

export interface Series {
  table: string;
  /** [milliseconds since the epoch, value or null where nothing was recorded], one per step. */
  points: Array<[number, number | null]>;
}

/**
 * The window ending at `now`, one point per step on a grid aligned to the
 * epoch (the last step is the one holding `now`); a step holding several
 * stored buckets shows their weighted mean, a step with none shows null.
 */
export async function readSeries(
  db: Queryable, tool: ToolSchema,
  request: {
    metric: MetricName;
    window: WindowName;
    tables: readonly string[];
    now: Date;
    rawStepSeconds: number;
  },
): Promise<{ stepSeconds: number; series: Series[] }> {
  const plan = windowPlan(request.window, request.rawStepSeconds);
  const stepMs = plan.stepSeconds * 1000;
  const last = Math.floor(request.now.getTime() / stepMs) * stepMs;
  const first = last - (Math.ceil(plan.ms / stepMs) - 1) * stepMs;
  const { rows } = await db.query<{ table_name: string; step: Date; value: number | null }>(
    `SELECT table_name, date_bin(make_interval(secs => $5::float8 / 1000), bucket, 'epoch'::timestamptz) AS step,
            sum(value * samples) / nullif(sum(samples) FILTER (WHERE value IS NOT NULL), 0) AS value
       FROM ${tool.sql}.metric_sample
      WHERE resolution = $1 AND metric = $2 AND table_name = ANY($3::text[])
        AND bucket >= $4 AND bucket < $6
      GROUP BY table_name, step`,
    [
      plan.resolution,
      request.metric,
      request.tables,
      new Date(first),
      stepMs,
      new Date(last + stepMs),
    ],
  );
  const values = new Map(
    rows.map((r) => [`${r.table_name}\u0000${new Date(r.step).getTime()}`, r.value]),
  );
  const series = request.tables.map((table) => {
    const points: Array<[number, number | null]> = [];
    for (let t = first; t <= last; t += stepMs)
      points.push([t, values.get(`${table}\u0000${t}`) ?? null]);
    return { table, points };
  });
  return { stepSeconds: plan.stepSeconds, series };
}
