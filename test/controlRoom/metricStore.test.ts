/**
 * The time series: raw samples rolled into minutes and hours with exact
 * weighted means, retention by resolution, idempotent rollups, windowed reads
 * on an epoch-aligned grid, and the sampler stepping a moved clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  compactSamples,
  DEFAULT_RETENTION,
  readSeries,
  recordSamples,
  storedSamples,
} from '../../src/controlRoom/metricStore.js';
import { MetricSampler } from '../../src/controlRoom/sampler.js';
import type { Overview, TableOverview } from '../../src/controlRoom/types.js';
import { silentLogger } from '../../src/log.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe.each(backends)('metric store [%s]', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await db.pool.query('DELETE FROM tandem.metric_sample');
  });

  it('rolls complete minutes into weighted means, complete hours from minutes, nulls kept as null', async () => {
    // Minute 0: 1, 2, 3, null; minute 1: 10, 20; minute 2 (incomplete at compaction): 7.
    const samples: Array<[number, number | null]> = [
      [0, 1],
      [10 * S, 2],
      [20 * S, 3],
      [30 * S, null],
      [M, 10],
      [M + 10 * S, 20],
      [2 * M, 7],
    ];
    for (const [ms, value] of samples)
      await recordSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(ms), [
        { metric: 'lag', table: 'film', value },
        { metric: 'lag', table: 'payment', value: null },
      ]);
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(2 * M + 30 * S));
    expect(
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1m')).map((s) => [
        s.table,
        s.bucket.getTime() - T0,
        s.value,
        s.samples,
      ]),
    ).toEqual([
      ['film', 0, 2, 3],
      ['film', M, 15, 2],
      ['payment', 0, null, 0],
      ['payment', M, null, 0],
    ]);
    // Minute 2 completes; a second compaction recomputes from the last minute on, same rows.
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(3 * M));
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(3 * M));
    const minutes = (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1m')).filter((s) => s.table === 'film');
    expect(minutes.map((s) => [s.bucket.getTime() - T0, s.value, s.samples])).toEqual([
      [0, 2, 3],
      [M, 15, 2],
      [2 * M, 7, 1],
    ]);
    expect(await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1h')).toEqual([]);
    // Past the hour: one hour bucket, the mean of all six samples (not of the three minute means).
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(H + S));
    expect(
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1h')).map((s) => [
        s.table,
        s.bucket.getTime() - T0,
        s.value,
        s.samples,
      ]),
    ).toEqual([
      ['film', 0, (1 + 2 + 3 + 10 + 20 + 7) / 6, 6],
      ['payment', 0, null, 0],
    ]);
  });

  it('prunes each resolution past its retention', async () => {
    await recordSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(0), [{ metric: 'drift', table: 'film', value: 1 }]);
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(2 * H));
    expect([
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, 'raw')).length,
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1m')).length,
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1h')).length,
    ]).toEqual([1, 1, 1]);
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(DEFAULT_RETENTION.rawMs + S));
    expect([
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, 'raw')).length,
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1m')).length,
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1h')).length,
    ]).toEqual([0, 1, 1]);
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(DEFAULT_RETENTION.minuteMs + S));
    expect([
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1m')).length,
      (await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1h')).length,
    ]).toEqual([0, 1]);
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(DEFAULT_RETENTION.hourMs + S));
    expect((await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, '1h')).length).toBe(0);
  });

  it('reads a window as one point per step, null where nothing was recorded', async () => {
    await recordSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(0), [{ metric: 'lag', table: 'film', value: 4 }]);
    await recordSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(20 * S), [{ metric: 'lag', table: 'film', value: 6 }]);
    const read = await readSeries(db.pool, DEFAULT_TOOL_SCHEMA, {
      metric: 'lag',
      window: '15m',
      tables: ['film', 'payment'],
      now: at(25 * S),
      rawStepSeconds: 10,
    });
    expect(read.stepSeconds).toBe(10);
    const film = read.series[0]!.points;
    expect(film).toHaveLength(90);
    expect(film.at(-1)).toEqual([T0 + 20 * S, 6]);
    expect(film.at(-2)).toEqual([T0 + 10 * S, null]);
    expect(film.at(-3)).toEqual([T0, 4]);
    expect(film[0]![0]).toBe(T0 + 20 * S - 89 * 10 * S);
    expect(read.series[1]).toEqual({ table: 'payment', points: film.map(([t]) => [t, null]) });
    // The 7-day window reads hour rollups.
    await compactSamples(db.pool, DEFAULT_TOOL_SCHEMA, at(H));
    const week = await readSeries(db.pool, DEFAULT_TOOL_SCHEMA, {
      metric: 'lag',
      window: '7d',
      tables: ['film'],
      now: at(H),
      rawStepSeconds: 10,
    });
    expect([
      week.stepSeconds,
      week.series[0]!.points.length,
      week.series[0]!.points.at(-2),
    ]).toEqual([3600, 168, [T0, 5]]);
  });

  it('samples the overview at interval boundaries of an injected clock', async () => {
    let now = at(7 * S);
    let pending = 3;
    const row = (table: string): TableOverview => ({
      table,
      phase: 'dual-write',
      nextGate: null,
      readStage: 'postgres',
      readPercent: 0,
      rows: { postgres: 1, convex: 1, postgresEstimated: false },
      successRate: 0.5,
      applyLatencyMs: { p50: 12, p99: 40 },
      outboxPending: pending,
      oldestPendingSeconds: null,
      retryQueue: 1,
      deadLetters: 0,
      drift: null,
      parityStreakDays: 0,
      untrackedWrites: 0,
      alertsFiring: 0,
    });
    const overview = async (): Promise<Overview> => ({
      generatedAt: now.getTime(),
      tables: [row('film')],
    });
    const sampler = new MetricSampler({ tool: DEFAULT_TOOL_SCHEMA,
      pool: db.pool,
      overview,
      log: silentLogger,
      now: () => now,
      intervalMs: 10 * S,
    });
    await sampler.sampleOnce();
    now = at(13 * S);
    pending = 5;
    await sampler.sampleOnce();
    const raw = await storedSamples(db.pool, DEFAULT_TOOL_SCHEMA, 'raw');
    expect(raw.map((s) => [s.metric, s.bucket.getTime() - T0, s.value])).toEqual([
      ['drift', 0, null],
      ['drift', 10 * S, null],
      ['lag', 0, 0],
      ['lag', 10 * S, 0],
      ['latencyP50', 0, 12],
      ['latencyP50', 10 * S, 12],
      ['latencyP99', 0, 40],
      ['latencyP99', 10 * S, 40],
      ['outboxPending', 0, 3],
      ['outboxPending', 10 * S, 5],
      ['retryQueue', 0, 1],
      ['retryQueue', 10 * S, 1],
      ['successRate', 0, 0.5],
      ['successRate', 10 * S, 0.5],
    ]);
  });
});
