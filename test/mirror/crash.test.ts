/**
 * Hard kills (SIGKILL) at the two worst moments, each at a kill point
 * (src/core/killPoints.ts) rather than at a moment found by timing: a relay
 * process after Convex applied a call but before its events were marked done,
 * and an application process after its Postgres commit but before the Convex
 * call. After a restart, Convex must equal Postgres.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORY_SITE_CONFIG_FILE } from '../../examples/story-site/src/app/schema.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { KILL_AT_VARIABLE } from '../../src/core/killPoints.js';
import { silentLogger } from '../../src/log.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { expectConvexEqualsPostgres, makeRelay, outboxCounts, prepareMirroredDatabase } from '../support/mirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

const ADMIN_KEY = 'crash-test-admin-key';
const root = path.resolve(import.meta.dirname, '../..');
const backends = await availableBackends();

function exitSignal(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

describe.each(backends)('hard kills [%s]', (backend) => {
  let db: TestDatabase;
  let convex: LocalConvex;
  let convexUrl: string;
  let home: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-crash-'));
    convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR, dataDir: path.join(home, 'convex'), adminKey: ADMIN_KEY, logger: silentLogger });
    convexUrl = await convex.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await convex?.close();
    await db?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a relay killed in the middle of draining loses nothing; a restarted relay finishes', async () => {
    await db.pool.query(`INSERT INTO story_done (story_id, user_id) SELECT (g % 5) + 1, NULL FROM generate_series(1, 40) g`);
    for (let i = 0; i < 20; i++) await db.pool.query(`UPDATE story SET name = $1 WHERE id = $2`, [`v${i}`, (i % 5) + 1]);
    const child = spawn(process.execPath, ['bin/tandem.js', 'relay', '--once', '--claim-events', '4', '--lease-ms', '1000'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        CONVEX_URL: convexUrl,
        CONVEX_DEPLOY_KEY: ADMIN_KEY,
        TANDEM_HOME: home,
        TANDEM_LOG_LEVEL: 'silent',
        TANDEM_CONFIG: STORY_SITE_CONFIG_FILE,
        [KILL_AT_VARIABLE]: 'relay.afterApply:3',
      },
      stdio: 'ignore',
    });
    expect(await exitSignal(child)).toBe('SIGKILL');
    const afterKill = await outboxCounts(db.pool);
    expect(afterKill.pending ?? 0).toBeGreaterThan(0);

    const target = new HttpConvexTarget({ url: convexUrl, adminKey: ADMIN_KEY, requestTimeoutMs: 10_000 });
    const summary = await makeRelay(db.pool, target).drain();
    expect(summary.dead).toBe(0);
    expect(await outboxCounts(db.pool)).toEqual({ done: expect.any(Number) });
    await expectConvexEqualsPostgres(db.pool, target);
  });

  it('an application killed between its commit and the Convex call loses nothing', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/mirror/children/mirroredWrite.ts', db.url, convexUrl], {
      cwd: root,
      env: { ...process.env, [KILL_AT_VARIABLE]: 'mirror.afterCommit:1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += String(d)));
    expect(await exitSignal(child)).toBe('SIGKILL');
    expect(output).toBe('');
    const { rows } = await db.pool.query(`SELECT story_id, user_id FROM story_approval`);
    expect(rows).toEqual([{ story_id: 1, user_id: 1 }]);
    const { rows: events } = await db.pool.query(
      `SELECT count(*)::int AS n FROM tandem.outbox WHERE operation_key LIKE 'toggle-approval:%' AND status = 'pending'`,
    );
    expect(events[0].n).toBeGreaterThan(0);

    const target = new HttpConvexTarget({ url: convexUrl, adminKey: ADMIN_KEY, requestTimeoutMs: 10_000 });
    expect((await makeRelay(db.pool, target).drain()).dead).toBe(0);
    await expectConvexEqualsPostgres(db.pool, target);
    const approvals = await target.exportPage('story_approval', null, 10);
    expect(approvals.page.map((r) => r.columns.story_id)).toEqual([1]);
  });
});
