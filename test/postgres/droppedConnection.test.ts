/**
 * A Postgres connection that drops while it is checked out (a transaction in
 * flight) fails that transaction and nothing else: the process lives, the
 * pool recovers, the API answers 503 with Retry-After and then serves again,
 * and a relay round fails and the next one applies everything. Connections go
 * through a TCP proxy that the test cuts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { createPool, withTransaction } from '../../src/postgres/database.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { expectConvexEqualsPostgres, makeRelay, prepareMirroredDatabase } from '../support/mirror.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { startApi, type ApiHarness } from '../../examples/story-site/test/api/harness.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

/** Cuts every proxied connection the next time a client is checked out (mid-BEGIN). */
function cutOnNextCheckout(pool: pg.Pool, proxy: TcpProxy): void {
  pool.once('acquire', () => proxy.cut());
}

describe.each(backends)('a dropped Postgres connection [%s]', (backend) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
    proxy = await startTcpProxy(db.url);
    pool = createPool(proxy.url, 4);
  });
  afterAll(async () => {
    await pool?.end();
    await proxy?.close();
    await db?.close();
  });

  it('fails the transaction it held, and the pool serves the next one', async () => {
    const lost: Error[] = [];
    const watched = createPool(proxy.url, 2, (err) => lost.push(err));
    try {
      await expect(
        withTransaction(watched, async (tx) => {
          await tx.query('SELECT 1');
          const ended = new Promise((resolve) => tx.once('end', resolve));
          proxy.cut();
          await ended; // the 'error' event fired while the client was checked out and idle
          await tx.query('SELECT 2');
        }),
      ).rejects.toThrow(/Connection terminated|not queryable|ECONNRESET/);
      expect(lost.length).toBeGreaterThan(0);
      expect(await withTransaction(watched, async (tx) => (await tx.query('SELECT 42 AS n')).rows)).toEqual([{ n: 42 }]);
    } finally {
      await watched.end();
    }
  });

  it('relay: the round fails, the process lives, the next drain applies everything', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const relay = makeRelay(pool, target);
    cutOnNextCheckout(pool, proxy);
    await expect(relay.round('w1')).rejects.toThrow();
    const summary = await relay.drain();
    expect(summary.dead).toBe(0);
    expect(summary.applied).toBeGreaterThan(0);
    await expectConvexEqualsPostgres(db.pool, target);
  });
});

describe.each(backends)('the API when Postgres drops or is down [%s]', (backend) => {
  let api: ApiHarness;
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let server: Awaited<ReturnType<typeof startApi>>['app'];
  beforeAll(async () => {
    api = await startApi(backend);
    proxy = await startTcpProxy(api.db.url);
    pool = createPool(proxy.url, 4);
    const { createStorySiteServer } = await import('../../examples/story-site/src/api/storySiteApi.js');
    const { TransactionRunner } = await import('../../examples/story-site/src/app/transactionRunner.js');
    const { PostgresReadPaths } = await import('../../examples/story-site/src/app/reads/postgres.js');
    const { SampleUserDirectory } = await import('../../examples/story-site/src/app/userDirectory.js');
    const { silentLogger } = await import('../../src/log.js');
    const { TOKENS } = await import('../../examples/story-site/test/api/harness.js');
    server = createStorySiteServer({ tool: DEFAULT_TOOL_SCHEMA,
      deps: { pool, runner: new TransactionRunner(pool), users: new SampleUserDirectory() },
      reads: new PostgresReadPaths(pool),
      tokens: TOKENS,
      logger: silentLogger,
    });
    await server.ready();
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
    await proxy?.close();
    await api?.close();
  });

  const save = () =>
    server.inject({
      method: 'POST',
      url: '/api/stories/1/done',
      headers: { authorization: 'Bearer reader-token-0001' },
    });

  it('a write whose connection drops answers 503 with Retry-After; the next one succeeds', async () => {
    cutOnNextCheckout(pool, proxy);
    const dropped = await save();
    expect(dropped.statusCode).toBe(503);
    expect(dropped.headers['retry-after']).toBe('5');
    expect(dropped.json()).toEqual({
      error: { code: 'unavailable', message: 'the database is unavailable; try again shortly' },
    });
    expect((await save()).statusCode).toBe(201);
  });

  it('Postgres unreachable: reads 503, /readyz 503, /healthz still ok', async () => {
    await proxy.close(); // nothing listens: connections are refused
    proxy.cut();
    const read = await server.inject({ method: 'GET', url: '/api/courses' });
    expect(read.statusCode).toBe(503);
    expect(read.headers['retry-after']).toBe('5');
    expect(read.json()).toMatchObject({ error: { code: 'unavailable' } });
    const ready = await server.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ok: false, database: 'unavailable', mirror: null, convex: null });
    expect((await server.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ ok: true });
  });

  it('/readyz reports ready with the mirror state (none without capture)', async () => {
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ok: true, database: 'ok', mirror: null, convex: null });
  });
});
