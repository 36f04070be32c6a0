/**
 * Three relay processes and three backfill processes at once, on one outbox
 * and one stand-in, coordinated only through Postgres (claims, advisory
 * locks, checkpoints). Checked exactly, from what each process reports it
 * sent and Convex acknowledged: every captured change reached Convex once
 * and only once through the relays, every row once and only once through the
 * backfills; Convex holds, for every key, the newest version (per-key order:
 * no older change overwrote a newer one); and Convex equals Postgres.
 *
 * Real PostgreSQL only: PGlite runs one transaction at a time, so processes
 * would not run concurrently against it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TABLES } from '../../examples/story-site/src/app/schema.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { silentLogger } from '../../src/log.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { createTestDatabase, isPostgresReachable, type TestDatabase } from '../support/db.js';
import { convexState, expectConvexEqualsPostgres, outboxCounts, prepareMirroredDatabase } from '../support/mirror.js';

const ADMIN_KEY = 'many-processes-admin-key';
const root = path.resolve(import.meta.dirname, '../..');
const postgres = await isPostgresReachable();

interface Sent {
  table: string;
  key: string;
  version: number;
}

interface ChildReport {
  role: string;
  sent: Sent[];
  summary: unknown;
}

/** Starts a child and resolves once it is loaded ("ready"); `done` resolves with what it sent. */
function startChild(role: string, args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; done: Promise<ChildReport> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/children/scaleWorker.ts', role, ...args], {
    cwd: root,
    env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const done = new Promise<ChildReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${role} child exited with ${code}: ${stderr}`));
      const lines = stdout.split('\n');
      resolve({
        role,
        sent: lines.filter((l) => l.startsWith('sent ')).map((l) => JSON.parse(l.slice(5)) as Sent),
        summary: JSON.parse(lines.find((l) => l.startsWith('summary '))!.slice(8)),
      });
    });
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const before = stdout;
      stdout += String(d);
      if (!before.includes('ready\n') && stdout.includes('ready\n')) resolve({ child, done });
    });
    done.catch(reject);
  });
}

/** How many times each item was sent, keeping only those sent other than once. */
function notOnce(items: string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n !== 1));
}

describe.skipIf(!postgres)('three relays and three backfills at once [postgres]', () => {
  let db: TestDatabase;
  let convex: LocalConvex;
  let convexUrl: string;
  let home: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await prepareMirroredDatabase(db.pool);
    // Rows with no outbox event (written with triggers off): only a backfill brings them.
    await db.pool.query(`BEGIN; SET LOCAL session_replication_role = replica;
      INSERT INTO story_done (story_id, user_id) SELECT (g % 5) + 1, NULL FROM generate_series(1, 400) g; COMMIT`);
    // Captured transactions, many touching rows the backfill also copies.
    for (let i = 0; i < 150; i++) {
      const storyId = (i % 5) + 1;
      const second =
        i % 3 === 0
          ? `UPDATE story SET name = 'many ${i}' WHERE id = ${storyId}`
          : i % 3 === 1
            ? `UPDATE story_done SET user_id = ${(i % 4) + 1} WHERE id = (SELECT min(id) + ${i} FROM story_done)`
            : `DELETE FROM story_done WHERE id = (SELECT min(id) FROM story_done)`;
      await db.pool.query(`BEGIN; INSERT INTO story_done (story_id, user_id) VALUES (${storyId}, NULL); ${second}; COMMIT`);
    }
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-many-processes-'));
    convex = await createLocalConvex({ convexDir: STORY_SITE_CONVEX_DIR, dataDir: path.join(home, 'convex'), adminKey: ADMIN_KEY, logger: silentLogger });
    convexUrl = await convex.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await convex?.close();
    await db?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('every change reaches Convex once, every row is copied once, the newest version wins, parity is clean', async () => {
    const { rows: events } = await db.pool.query<{ seq: string }>('SELECT seq::text AS seq FROM tandem.outbox o ORDER BY o.seq');
    const args = [db.url, convexUrl, ADMIN_KEY];
    const children = await Promise.all([
      ...['relay', 'relay', 'relay'].map((role) => startChild(role, args)),
      ...['backfill', 'backfill', 'backfill'].map((role) => startChild(role, args)),
    ]);
    for (const { child } of children) child.stdin.write('go\n');
    const reports = await Promise.all(children.map((c) => c.done));
    const relays = reports.filter((r) => r.role === 'relay');
    const backfills = reports.filter((r) => r.role === 'backfill');

    // Relays: each captured change sent once, over the three processes together.
    const relayed = relays.flatMap((r) => r.sent.map((s) => String(s.version)));
    expect(notOnce(relayed)).toEqual({});
    expect(relayed.sort((a, b) => Number(a) - Number(b))).toEqual(events.map((e) => e.seq));
    expect(await outboxCounts(db.pool)).toEqual({ done: events.length });
    // Backfills: each row of every table copied once, over the three processes together.
    const copied = backfills.flatMap((r) => r.sent.map((s) => `${s.table}:${s.key}`));
    expect(notOnce(copied)).toEqual({});
    const { rows: backfillStates } = await db.pool.query<{ table_name: string; status: string }>(
      'SELECT table_name, status FROM tandem.backfill_state ORDER BY table_name',
    );
    expect(backfillStates.map((s) => s.status)).toEqual(APP_TABLES.map(() => 'done'));
    const { rows: dead } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.dead_letter');
    expect(dead[0]!.n).toBe(0);

    // Per-key order: Convex holds each key at its newest version (its last outbox seq; 0 for a row never changed under capture).
    const target = new HttpConvexTarget({ url: convexUrl, adminKey: ADMIN_KEY });
    const { rows: newest } = await db.pool.query<{ table_name: string; key: string; version: string }>(
      'SELECT table_name, key, max(seq)::text AS version FROM tandem.outbox GROUP BY table_name, key',
    );
    const newestVersion = new Map(newest.map((r) => [`${r.table_name}:${r.key}`, Number(r.version)]));
    for (const table of APP_TABLES) {
      let cursor: string | null = null;
      for (;;) {
        const page = await target.exportPage(table, cursor, 500);
        for (const row of page.page) expect(row.version, `${table}:${row.key}`).toBe(newestVersion.get(`${table}:${row.key}`) ?? 0);
        if (page.isDone) break;
        cursor = page.continueCursor;
      }
    }
    await expectConvexEqualsPostgres(db.pool, target);
    // Every Postgres row was copied by some backfill.
    const state = await convexState(target);
    const rowKeys = APP_TABLES.flatMap((table) => Object.keys(state[table]!).map((key) => `${table}:${key}`));
    expect(rowKeys.filter((k) => !copied.includes(k))).toEqual([]);
    console.info(
      `many processes: relays sent ${relays.map((r) => r.sent.length).join(' / ')} changes, ` +
        `backfills copied ${backfills.map((r) => r.sent.length).join(' / ')} rows`,
    );
  }, 600_000);
});
