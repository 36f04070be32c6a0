/**
 * The story site's monthly stats page through shadow reads (issue 11, item 7),
 * end to end through the API: with the page's three tables in `shadow`, the
 * user gets Postgres's figures, and the comparison uses the page's stated
 * tolerance (`toleranceForInFlight`) through the read's `compare` hook:
 * - story_done events recorded and not yet applied to Convex are lag, not
 *   drift, even though an exact comparison of the figures would differ;
 * - reads recorded behind capture (Convex never hears of them) are drift,
 *   while events are in flight and after they are applied.
 * The relay is never left running, so "in flight" is exactly what the test
 * recorded.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_SOURCE_HEADER } from '../../src/api/readSource.js';
import { createStorySiteServer } from '../../src/api/storySiteApi.js';
import { ConvexReadPaths } from '../../src/app/reads/convex.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import { storySiteReader, storySiteReadRouting } from '../../src/app/reads/routing.js';
import { APP_TABLES } from '../../src/app/schema.js';
import { TransactionRunner } from '../../src/app/transactionRunner.js';
import { SampleUserDirectory } from '../../src/app/userDirectory.js';
import { recordStoryDoneBatch } from '../../src/app/writes/index.js';
import type { Reader } from 'tandem';
import type { Actor } from '../../src/app/ports.js';
import {
  DEFAULT_TOOL_SCHEMA as TOOL,
  type EmbeddedConvexTarget,
  ReadFlags,
  setReadStage,
  ShadowRecorder,
  shadowReport,
  silentLogger,
} from 'tandem';
import { appDeps } from '../../../../test/support/appFixture.js';
import { drainInto, mirrorIntoEmbedded, prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { insertReadFixture } from './fixture.js';
import { AS, TOKENS } from './harness.js';

const backends = await availableBackends();
/** Changes applied this recently before a read still count as in flight. */
const MARGIN_MS = 200;
const STATS_TABLES = ['story_done', 'story', 'course'];

describe.each(backends)('the monthly stats page in shadow, with its stated tolerance [%s]', (backend) => {
  let db: TestDatabase;
  let target: EmbeddedConvexTarget;
  let flags: ReadFlags;
  let recorder: ShadowRecorder;
  let reader: Reader<Actor>;
  let api: FastifyInstance;
  const now = new Date();
  const [year, month] = [now.getUTCFullYear(), now.getUTCMonth() + 1];
  const url = `/api/stats/${year}/${month}`;

  const getStats = async () => {
    const res = await api.inject({ method: 'GET', url, headers: AS.reader });
    expect(res.statusCode).toBe(200);
    return { source: res.headers[READ_SOURCE_HEADER.toLowerCase()], body: res.json() };
  };
  /** The newest sample of the stats read, once the background comparison finished and was written. */
  const newestSample = async () => {
    await reader.settled();
    await recorder.flush();
    const samples = (await shadowReport(db.pool, TOOL, { samples: 50 })).tables.story_done?.samples ?? [];
    return samples.find((s) => s.read === 'monthlyStats');
  };
  const counts = async () => {
    await reader.settled();
    await recorder.flush();
    const t = (await shadowReport(db.pool, TOOL)).tables.story_done;
    return { match: t?.match ?? 0, lag: t?.lag ?? 0, drift: t?.drift ?? 0, error: t?.error ?? 0 };
  };
  const delta = (a: Awaited<ReturnType<typeof counts>>, b: typeof a) => ({
    match: b.match - a.match,
    lag: b.lag - a.lag,
    drift: b.drift - a.drift,
    error: b.error - a.error,
  });
  /** Applies what is pending, then waits until it is older than the in-flight margin. */
  const drainAndSettle = async () => {
    await drainInto(db.pool, target);
    await new Promise((r) => setTimeout(r, MARGIN_MS * 2));
  };

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCapturedSchema(db.pool);
    await insertReadFixture(db.pool);
    target = await mirrorIntoEmbedded(db.pool);
    for (const table of STATS_TABLES)
      await setReadStage(db.pool, TOOL, [...APP_TABLES], { table, stage: 'shadow', why: 'test', actor: 'test' });
    flags = await ReadFlags.start({ tool: TOOL, pool: db.pool, instance: false });
    recorder = new ShadowRecorder(db.pool, { tool: TOOL, samplesPerMinute: 1000 });
    reader = storySiteReader({
      tool: TOOL,
      flags,
      pool: db.pool,
      recorder,
      convexFallback: false,
      shadow: { recheckMs: 30, recheckAttempts: 3, inFlightMarginMs: MARGIN_MS },
    });
    const postgres = new PostgresReadPaths(db.pool);
    api = createStorySiteServer({
      tool: TOOL,
      deps: { pool: db.pool, runner: new TransactionRunner(db.pool), users: new SampleUserDirectory() },
      reads: postgres,
      tokens: TOKENS,
      logger: silentLogger,
      readRouting: storySiteReadRouting(reader, { postgres, convex: new ConvexReadPaths(target) }),
    });
    await api.ready();
    await new Promise((r) => setTimeout(r, MARGIN_MS * 2));
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await flags?.close();
    await recorder?.close();
    await db?.close();
  });

  it('with nothing in flight, the page is served by Postgres and matches Convex', async () => {
    const before = await counts();
    const served = await getStats();
    expect(served.source).toBe('postgres');
    expect(served.body).toEqual(await new PostgresReadPaths(db.pool).monthlyStats(year, month));
    expect(delta(before, await counts())).toEqual({ match: 1, lag: 0, drift: 0, error: 0 });
  });

  it('reads recorded and not yet applied are lag within the tolerance, then a match once applied', async () => {
    const served0 = (await getStats()).body as { totals: { read: number } };
    await recordStoryDoneBatch(appDeps(db.pool), [
      { story_id: 1, user_id: 1 },
      { story_id: 2, user_id: 2 },
      { story_id: 6, user_id: null },
    ]);
    await recordStoryDoneBatch(appDeps(db.pool), [{ story_id: 1, user_id: 3 }]);
    // Convex's figures are 4 reads behind: an exact comparison would call this a difference.
    const convexNow = await new ConvexReadPaths(target).monthlyStats(year, month);
    expect(convexNow.totals.read).toBe(served0.totals.read);

    const before = await counts();
    const served = await getStats();
    expect(served.source).toBe('postgres');
    expect((served.body as { totals: { read: number } }).totals.read).toBe(served0.totals.read + 4);
    expect(await newestSample()).toMatchObject({
      class: 'lag',
      detail: 'within the stated tolerance for 4 change(s) in flight',
    });
    expect(delta(before, await counts())).toEqual({ match: 0, lag: 1, drift: 0, error: 0 });

    await drainAndSettle();
    const settled = await counts();
    await getStats();
    expect(delta(settled, await counts())).toEqual({ match: 1, lag: 0, drift: 0, error: 0 });
  });

  it('reads recorded behind capture are drift, with events in flight and after they are applied', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      // Ten reads Convex never hears of: beyond a tolerance of one event in flight.
      await client.query(`INSERT INTO story_done (user_id, story_id, time) SELECT NULL, 1, now() FROM generate_series(1, 10)`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await recordStoryDoneBatch(appDeps(db.pool), [{ story_id: 2, user_id: 1 }]);

    const before = await counts();
    await getStats();
    const inFlight = await newestSample();
    expect(inFlight?.class).toBe('drift');
    expect(inFlight?.detail).toMatch(/^beyond the stated tolerance for 1 change\(s\) in flight after 3 re-check\(s\): /);
    expect(delta(before, await counts())).toEqual({ match: 0, lag: 0, drift: 1, error: 0 });

    await drainAndSettle();
    const applied = await counts();
    await getStats();
    const afterApplied = await newestSample();
    expect(afterApplied?.class).toBe('drift');
    expect(afterApplied?.detail).toMatch(/^beyond the stated tolerance for 0 change\(s\) in flight: /);
    expect(afterApplied?.detail).toContain('"figure":"read"');
    expect(delta(applied, await counts())).toEqual({ match: 0, lag: 0, drift: 1, error: 0 });
  });
});
