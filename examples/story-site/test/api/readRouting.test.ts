/**
 * The story site's API reads through the read cutover's router: every read
 * response says which store served it (`Tandem-Read-Source`), a read runs at
 * the most conservative stage of the tables it spans, Convex answers with the
 * same body Postgres gives, `convex-internal` serves editors only, and a
 * rollback sends reads back to Postgres. Without routing every read is
 * Postgres's, and writes carry no such header.
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
import {
  DEFAULT_TOOL_SCHEMA,
  ReadFlags,
  rollbackReadStages,
  setReadStage,
  silentLogger,
} from 'tandem';
import { mirrorIntoEmbedded, prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { AS, TOKENS, type Caller } from './harness.js';
import { insertReadFixture } from './fixture.js';

const backends = await availableBackends();

describe.each(backends)('API reads through the read router [%s]', (backend) => {
  let db: TestDatabase;
  let flags: ReadFlags;
  let routed: FastifyInstance;
  let plain: FastifyInstance;

  const get = async (app: FastifyInstance, url: string, caller: Caller = 'anonymous') => {
    const res = await app.inject({ method: 'GET', url, headers: AS[caller] });
    return { status: res.statusCode, source: res.headers[READ_SOURCE_HEADER.toLowerCase()], body: res.json() };
  };
  const stage = async (table: string, to: string, percent?: number) => {
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, [...APP_TABLES], { table, stage: to, percent, why: 'test', actor: 'test', force: true });
    await flags.refresh();
  };

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCapturedSchema(db.pool);
    await insertReadFixture(db.pool);
    const target = await mirrorIntoEmbedded(db.pool);
    flags = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool });
    const postgres = new PostgresReadPaths(db.pool);
    const reader = storySiteReader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db.pool, convexFallback: false });
    const deps = { pool: db.pool, runner: new TransactionRunner(db.pool), users: new SampleUserDirectory() };
    const server = { deps, reads: postgres, tokens: TOKENS, logger: silentLogger, tool: DEFAULT_TOOL_SCHEMA };
    routed = createStorySiteServer({ 
      ...server,
      readRouting: storySiteReadRouting(reader, { postgres, convex: new ConvexReadPaths(target) }),
    });
    plain = createStorySiteServer(server);
    await Promise.all([routed.ready(), plain.ready()]);
  });

  afterAll(async () => {
    await routed?.close();
    await plain?.close();
    await flags?.close();
    await db?.close();
  });

  it('serves from Postgres until every table a read spans is on convex, then the same body from Convex', async () => {
    const before = await get(routed, '/api/courses');
    expect(before.status).toBe(200);
    expect(before.source).toBe('postgres');
    await stage('course', 'convex');
    // The course list also counts stories: story is still on postgres.
    expect((await get(routed, '/api/courses')).source).toBe('postgres');
    expect((await get(routed, '/api/languages/1')).source).toBe('postgres');
    await stage('story', 'convex');
    const after = await get(routed, '/api/courses');
    expect(after.source).toBe('convex');
    expect(after.body).toEqual(before.body);
  });

  it('serves convex-internal to editors only, and a rollback sends everyone back to Postgres', async () => {
    await stage('language', 'convex-internal');
    expect((await get(routed, '/api/languages/1', 'editor')).source).toBe('convex');
    expect((await get(routed, '/api/languages/1', 'reader')).source).toBe('postgres');
    const editor = await get(routed, '/api/languages/1', 'editor');
    const reader = await get(routed, '/api/languages/1', 'reader');
    expect(editor.body).toEqual(reader.body);
    await rollbackReadStages(db.pool, DEFAULT_TOOL_SCHEMA, 'all', [...APP_TABLES], { why: 'drill', actor: 'test' });
    await flags.refresh();
    expect((await get(routed, '/api/courses')).source).toBe('postgres');
    expect((await get(routed, '/api/languages/1', 'editor')).source).toBe('postgres');
  });

  it('marks every read as Postgres without routing, and leaves other responses alone', async () => {
    expect((await get(plain, '/api/courses')).source).toBe('postgres');
    const health = await plain.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers[READ_SOURCE_HEADER.toLowerCase()]).toBeUndefined();
    const missing = await get(plain, '/api/images/none');
    expect(missing.status).toBe(404);
    expect(missing.source).toBe('postgres');
  });
});
