/**
 * The story site's API writes through the write router: every write response
 * says which store wrote (`Tandem-Write-Source`). At `postgres` the Postgres
 * path writes; at `convex-shadow` Postgres answers and the Convex mutation
 * runs on a scratch copy and is compared; at `convex` the Convex mutation
 * writes (Postgres gets it through reverse sync), and a refusal answers with
 * the same status and field-named body the Postgres path gives. A path of a
 * group still at `postgres` keeps writing to Postgres meanwhile, and a
 * rollback (drain, then switch) brings the group's writes back to Postgres.
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorySiteServer } from '../../src/api/storySiteApi.js';
import { WRITE_SOURCE_HEADER } from '../../src/api/writeSource.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import { storySiteGroups, storySiteWriteGroups } from '../../src/app/writeGroups.js';
import { storySiteWriteRouter, type StorySiteWriteRouter } from '../../src/app/writes/routing.js';
import {
  changeLogSource,
  createWriteCutoverMetrics,
  DEFAULT_TOOL_SCHEMA,
  drainReverseSync,
  type EmbeddedConvexTarget,
  rollbackWriteStage,
  saveWriteGroups,
  setWriteStage,
  silentLogger,
  type WriteCutoverMetrics,
  WriteFlags,
} from 'tandem';
import { appDeps, seedExtendedFixture, snapshotTables } from '../../../../test/support/appFixture.js';
import { convexSideFor, scratchConvexFor } from '../../../../test/support/convexWrites.js';
import { prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { expectConvexEqualsPostgres, makeRelay } from '../../../../test/support/mirror.js';
import { STORY_SITE_TABLES } from '../../../../test/support/storySiteMirror.js';
import { SEED_EXTRAS } from '../../../../test/support/writeCalls.js';
import { AS, TOKENS, type Caller } from './harness.js';

const STORIES = storySiteWriteGroups.toggleApproval!;
const STORY_DONE = storySiteWriteGroups.recordStoryDone!;

describe.each(await availableBackends())('API writes through the write router [%s]', (backend) => {
  let db: TestDatabase;
  let convex: EmbeddedConvexTarget;
  let scratch: EmbeddedConvexTarget;
  let flags: WriteFlags;
  let router: StorySiteWriteRouter;
  let metrics: WriteCutoverMetrics;
  let routed: FastifyInstance;
  let plain: FastifyInstance;

  const call = async (
    app: FastifyInstance,
    caller: Caller,
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: {
        ...AS[caller],
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return {
      status: res.statusCode,
      source: res.headers[WRITE_SOURCE_HEADER.toLowerCase()],
      body: res.json() as Record<string, unknown>,
    };
  };
  const stage = async (group: string, to: string) => {
    // Forced: this test is about routing; the gates and read stages are the phases' tests'.
    await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      group,
      stage: to,
      why: 'test',
      actor: 'test',
      force: true,
      gates: async () => [],
    });
    await flags.refresh();
  };
  const approvals = async (store: 'postgres' | 'convex', storyId: number) =>
    store === 'postgres'
      ? (
          await db.pool.query<{ user_id: number }>(
            'SELECT user_id FROM story_approval WHERE story_id = $1 ORDER BY user_id',
            [storyId],
          )
        ).rows.map((r) => r.user_id)
      : (await convex.documents('story_approval'))
          .filter((d) => d.story_id === storyId)
          .map((d) => d.user_id as number)
          .sort((a, b) => a - b);
  const drainPort = {
    drain: async (_group: string, deadlineMs: number) =>
      drainReverseSync(
        { tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, source: changeLogSource(convex), config: STORY_SITE_TABLES, idleMs: 1 },
        undefined,
        deadlineMs,
      ),
  };

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCapturedSchema(db.pool);
    await seedExtendedFixture(db.pool);
    await db.pool.query(SEED_EXTRAS);
    convex = await convexSideFor(db.pool);
    await saveWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA, storySiteGroups, { actor: 'test', why: 'story site groups' });
    flags = await WriteFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, listen: false });
    metrics = createWriteCutoverMetrics(new Registry());
    const deps = appDeps(db.pool);
    const server = {
      tool: DEFAULT_TOOL_SCHEMA,
      deps,
      reads: new PostgresReadPaths(db.pool),
      tokens: TOKENS,
      logger: silentLogger,
    };
    plain = createStorySiteServer(server);
    await plain.ready();
    // The scratch copy for convex-shadow, made later from the data as it is then.
    const shadowRunner = {
      mutation: (path: string, args: Record<string, unknown>) => scratch.mutation(path, args),
    };
    router = storySiteWriteRouter({
      stages: flags,
      convex,
      shadow: shadowRunner,
      metrics,
      log: silentLogger,
    });
    routed = createStorySiteServer({ ...server, writeRouter: router });
    await routed.ready();
  }, 120_000);

  afterAll(async () => {
    await routed?.close();
    await plain?.close();
    await flags?.close();
    await scratch?.close();
    await convex?.close();
    await db?.close();
  });

  it('at postgres the Postgres path writes, and the response says so', async () => {
    const before = await approvals('convex', 1);
    const res = await call(routed, 'editor', 'POST', '/api/stories/1/approval');
    expect([res.status, res.source, res.body.action]).toEqual([200, 'postgres', 'added']);
    expect(await approvals('postgres', 1)).toContain(1);
    expect(await approvals('convex', 1)).toEqual(before);
    const plainRes = await call(plain, 'editor', 'POST', '/api/stories/1/approval');
    expect([plainRes.source, plainRes.body.action]).toEqual(['postgres', 'removed']);
    // Only write responses carry the header.
    const read = await routed.inject({ method: 'GET', url: '/api/courses' });
    expect(read.headers[WRITE_SOURCE_HEADER.toLowerCase()]).toBeUndefined();
  });

  it('at convex-shadow Postgres answers, and Convex on a scratch copy is compared', async () => {
    await makeRelay(db.pool, convex).drain();
    scratch = await scratchConvexFor(db.pool);
    await stage(STORIES, 'convex-shadow');
    const added = await call(routed, 'editor', 'POST', '/api/stories/2/approval');
    const missing = await call(routed, 'editor', 'POST', '/api/stories/9999/approval');
    expect([added.status, added.source, missing.status, missing.source]).toEqual([
      200,
      'postgres',
      404,
      'postgres',
    ]);
    await router.settled();
    expect(router.differences()).toEqual([]);
    const shadow = await metrics.shadow.get();
    expect(shadow.values.map((v) => [v.labels.path, v.labels.outcome, v.value])).toEqual([
      ['toggleApproval', 'match', 2],
    ]);
    expect(await approvals('postgres', 2)).toContain(1);
  });

  it('at convex the Convex mutation writes; refusals answer as the Postgres path does; reverse sync brings Postgres along', async () => {
    await makeRelay(db.pool, convex).drain();
    await stage(STORIES, 'convex');
    const pgBefore = await approvals('postgres', 3);
    const res = await call(routed, 'editor', 'POST', '/api/stories/3/approval');
    expect([res.status, res.source, res.body.action]).toEqual([200, 'convex', 'added']);
    expect(await approvals('convex', 3)).toContain(1);
    expect(await approvals('postgres', 3)).toEqual(pgBefore);

    // Refusals: same status and body from Convex (routed) as from Postgres (plain); nothing written anywhere.
    const snapshot = await snapshotTables(db.pool);
    const refused: Array<[Caller, 'POST' | 'PUT' | 'DELETE', string, unknown?]> = [
      ['editor', 'POST', '/api/stories/9999/approval'],
      ['admin', 'DELETE', '/api/approvals/9999'],
      [
        'editor',
        'PUT',
        '/api/stories/1',
        { course_id: 9999, set_id: 1, set_index: 1, todo_count: 0 },
      ],
      ['editor', 'POST', '/api/courses/9999/import/1'],
      [
        'editor',
        'PUT',
        '/api/stories/1',
        { course_id: 1, set_id: 1, set_index: 1, todo_count: 0, image: 'none' },
      ],
      ['reader', 'POST', '/api/stories/1/approval'],
    ];
    for (const [caller, method, url, body] of refused) {
      const fromConvex = await call(routed, caller, method, url, body);
      const fromPostgres = await call(plain, caller, method, url, body);
      expect(fromConvex.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(fromConvex.status, `${method} ${url}`).toBeLessThan(500);
      expect([fromConvex.status, fromConvex.body], `${method} ${url}`).toEqual([
        fromPostgres.status,
        fromPostgres.body,
      ]);
    }
    expect(await snapshotTables(db.pool)).toEqual(snapshot);

    // story_done is a group of its own, still at postgres.
    const done = await call(routed, 'reader', 'POST', '/api/stories/3/done');
    expect([done.status, done.source]).toEqual([201, 'postgres']);
    expect(flags.stageOf(STORY_DONE)).toBe('postgres');

    await makeRelay(db.pool, convex).drain();
    expect(await drainPort.drain(STORIES, 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
    expect(await approvals('postgres', 3)).toContain(1);
    await expectConvexEqualsPostgres(db.pool, convex);
  });

  it('a rollback drains, switches, and the next write is Postgres’s again', async () => {
    const written = await call(routed, 'editor', 'POST', '/api/stories/4/approval');
    expect(written.source).toBe('convex');
    const result = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      group: STORIES,
      actor: 'test',
      why: 'test rollback',
      drain: drainPort,
      hold: router,
    });
    expect([result.changed, result.drain]).toEqual([true, { drained: true, pending: 0, deadLetters: 0 }]);
    await flags.refresh();
    expect(await approvals('postgres', 4)).toContain(1);
    const after = await call(routed, 'editor', 'POST', '/api/stories/4/approval');
    expect([after.source, after.body.action]).toEqual(['postgres', 'removed']);
    await makeRelay(db.pool, convex).drain();
    await expectConvexEqualsPostgres(db.pool, convex);
  });
});
