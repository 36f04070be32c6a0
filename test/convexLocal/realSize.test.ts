/**
 * The story site at its real size against the stand-in run as a process, the
 * way `tandem dev` runs it: 20,000 story_done rows (the site's reads) written
 * before capture, backfilled while writers insert, update and delete rows, the
 * relay draining what they wrote, the stand-in stopped and started again on
 * its data dir, then full parity: zero drift, every row on both sides. Every
 * Convex call is timed: the slowest must stay far from the client's timeout,
 * since a call that nears it fails in production.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFunctionName, type FunctionReference } from 'convex/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { backfill } from '../../src/backfill/index.js';
import { installCapture } from '../../src/capture/index.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { silentLogger } from '../../src/log.js';
import { runParity } from '../../src/parity/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { seedFixture } from '../support/appFixture.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { makeRelay } from '../support/mirror.js';
import { freePort, Service, waitFor } from '../support/services.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const ADMIN_KEY = 'real-size-admin-key';
const READS = 20_000;
const CLIENT_TIMEOUT_MS = 30_000;
// Real PostgreSQL only: at this size PGlite measures itself.
const backends = (await availableBackends()).filter((b) => b === 'postgres');

/** The HTTP target, timing every query and mutation it sends. */
class TimedTarget extends HttpConvexTarget {
  slowestMs = 0;
  slowest = '';
  calls = 0;
  private async timed<T>(name: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.calls += 1;
      const ms = performance.now() - started;
      if (ms > this.slowestMs) [this.slowestMs, this.slowest] = [ms, name];
    }
  }
  protected override runQuery<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'query', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    return this.timed(getFunctionName(ref), () => super.runQuery(ref, args));
  }
  protected override runMutation<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'mutation', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    return this.timed(getFunctionName(ref), () => super.runMutation(ref, args));
  }
}

describe.each(backends)('the story site at real size against the stand-in process [%s]', (backend) => {
  let db: TestDatabase;
  let home: string;
  let standIn: Service;
  let convexUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await seedFixture(db.pool);
    await db.pool.query(
      `INSERT INTO story_done (story_id, user_id, time)
       SELECT (g % 5) + 1, CASE WHEN g % 3 = 0 THEN NULL ELSE (g % 9) + 1 END,
              timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
         FROM generate_series(1, $1::int) g`,
      [READS],
    );
    await installCapture(db.pool, { ...storySiteCapture() });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-real-size-'));
    const port = await freePort();
    convexUrl = `http://127.0.0.1:${port}`;
    standIn = new Service(
      'convex-local',
      ['convex-local', '--convex-dir', STORY_SITE_CONVEX_DIR, '--port', String(port), '--data-dir', path.join(home, 'convex'), '--admin-key', ADMIN_KEY],
      { ...process.env, TANDEM_HOME: home, TANDEM_LOG_LEVEL: 'warn' },
      home,
    );
    standIn.start();
    await waitFor('the stand-in serving', async () => (await fetch(`${convexUrl}/version`)).ok, 60_000);
  }, 120_000);

  afterAll(async () => {
    await standIn?.kill('SIGTERM');
    await db?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it(
    `backfills ${READS.toLocaleString('en')} reads under concurrent writes, survives a restart, and ends with zero drift`,
    async () => {
      const target = new TimedTarget({ url: convexUrl, adminKey: ADMIN_KEY, requestTimeoutMs: CLIENT_TIMEOUT_MS });
      let writing = true;
      let writes = 0;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const id = 1 + ((i * 7919) % READS);
          if (i % 3 === 0) await db.pool.query(`INSERT INTO story_done (story_id, user_id) VALUES ($1, NULL)`, [(i % 5) + 1]);
          else if (i % 3 === 1) await db.pool.query(`UPDATE story_done SET time = now() WHERE id = $1`, [id]);
          else await db.pool.query(`DELETE FROM story_done WHERE id = $1`, [id]);
          writes += 1;
        }
      })();
      const result = await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, log: silentLogger });
      writing = false;
      await writer;
      expect(writes).toBeGreaterThan(0);
      expect(result.tables.find((t) => t.table === 'story_done')?.outcome).toBe('done');
      expect((await makeRelay(db.pool, target).drain()).dead).toBe(0);

      // Stopped and started on the same data dir: what it acknowledged is still there.
      await standIn.kill('SIGTERM');
      standIn.start();
      await waitFor('the stand-in serving again', async () => (await fetch(`${convexUrl}/version`)).ok, 120_000);

      const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, mode: 'full', record: false });
      const storyDone = report.tables.story_done!;
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM story_done');
      expect(Object.entries(report.tables).filter(([, t]) => !t.clean).map(([name]) => name)).toEqual([]);
      expect([storyDone.pgRows, storyDone.convexRows]).toEqual([rows[0]!.n, rows[0]!.n]);
      console.info(`real size: ${rows[0]!.n} story_done rows, ${writes} concurrent writes, ${target.calls} Convex calls, slowest ${Math.round(target.slowestMs)} ms (${target.slowest})`);
      expect(target.slowestMs).toBeLessThan(CLIENT_TIMEOUT_MS / 2);
    },
    600_000,
  );
});
