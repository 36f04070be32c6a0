/**
 * /readyz's Convex field: whether Convex answers, reported beside Postgres's
 * state and never taking the instance out of service (the outbox holds writes
 * through a Convex outage).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalConvex,
  databaseReadiness,
  DEFAULT_TOOL_SCHEMA,
  HttpConvexTarget,
  type LocalConvex,
  silentLogger,
} from 'tandem';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { STORY_SITE_CONVEX_DIR } from '../../src/storySiteRoot.js';

const ADMIN_KEY = 'readiness-admin-key';
const backends = await availableBackends();

describe.each(backends)('readiness reports Convex [%s]', (backend) => {
  let db: TestDatabase;
  let convex: LocalConvex;
  let convexUrl: string;
  let home: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-readiness-'));
    convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR, dataDir: path.join(home, 'convex'), adminKey: ADMIN_KEY, logger: silentLogger });
    convexUrl = await convex.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await convex?.close();
    await db?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const probe = (target: HttpConvexTarget) => () => target.query('tandem:exportPage', { table: 'story_done', cursor: null, numItems: 1 });

  it('says ok when Convex answers, even that a table is unknown', async () => {
    const target = new HttpConvexTarget({ url: convexUrl, adminKey: ADMIN_KEY, requestTimeoutMs: 2_000 });
    expect(await databaseReadiness(db.pool, DEFAULT_TOOL_SCHEMA, probe(target))).toEqual({ ok: true, database: 'ok', mirror: null, convex: 'ok' });
    const unknownTable = () => target.query('tandem:exportPage', { table: 'no_such_table', cursor: null, numItems: 1 });
    expect((await databaseReadiness(db.pool, DEFAULT_TOOL_SCHEMA, unknownTable)).convex).toBe('ok');
  });

  it('says unavailable when nothing answers, or the key is refused, and stays ready', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const down = new HttpConvexTarget({ url: `http://127.0.0.1:${closed}`, adminKey: ADMIN_KEY, requestTimeoutMs: 1_000 });
    expect(await databaseReadiness(db.pool, DEFAULT_TOOL_SCHEMA, probe(down))).toEqual({ ok: true, database: 'ok', mirror: null, convex: 'unavailable' });
    const wrongKey = new HttpConvexTarget({ url: convexUrl, adminKey: 'not-the-key', requestTimeoutMs: 2_000 });
    expect((await databaseReadiness(db.pool, DEFAULT_TOOL_SCHEMA, probe(wrongKey))).convex).toBe('unavailable');
  });

  it('reports no Convex field value without a Convex target', async () => {
    expect(await databaseReadiness(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({ ok: true, database: 'ok', mirror: null, convex: null });
  });
});
