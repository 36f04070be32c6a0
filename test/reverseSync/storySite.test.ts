/**
 * Reverse sync on the story site: heavy columns (story text and json in the
 * companion table) and foreign keys, a frozen table that lets only reverse
 * sync in, kill points on both sides of the Postgres commit, replays and
 * late old changes, retries and dead letters, drain with a deadline, and the
 * lag metrics.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withChangeLog } from '../../examples/story-site/convex/tandem/changeLog.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { MirrorWriter } from '../../examples/story-site/convex/tandem/types.js';
import { silentLogger } from '../../src/log.js';
import {
  changeLogSource,
  type ChangeLogEntry,
  type ChangeLogSource,
} from '../../src/reverseSync/changeLog.js';
import { createReverseSyncMetrics } from '../../src/reverseSync/metrics.js';
import { ReverseSyncWorker, type ReverseSyncOptions } from '../../src/reverseSync/worker.js';
import { one, snapshotTables } from '../support/appFixture.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import {
  expectConvexEqualsPostgres,
  makeRelay,
  prepareMirroredDatabase,
} from '../support/mirror.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const CUT_OVER = ['story', 'story_approval', 'story_done'];

/** A change log that is a fixed list (replays, late old changes, bad data). */
function staticSource(entries: ChangeLogEntry[]): ChangeLogSource {
  const after = (cursor: number) => entries.filter((e) => e.seq > cursor);
  return {
    readChangeLog: async (cursor, limit) => ({ entries: after(cursor).slice(0, limit), head: 0 }),
    pendingChanges: async (cursor) => ({
      pending: after(cursor).length,
      capped: false,
      oldestLoggedAt: null,
    }),
    pruneChangeLog: async () => ({ deleted: 0, more: false }),
    raiseVersionFloor: async (floor) => floor,
  };
}

describe.each(await availableBackends())('reverse sync on the story site [%s]', (backend) => {
  let db: TestDatabase;
  let target: EmbeddedConvexTarget;
  let storyId: number;
  const convexWrite = (write: (db: MirrorWriter) => Promise<void>) =>
    target.run((ctx) =>
      write(withChangeLog(ctx.db as unknown as MirrorWriter, { tables: CUT_OVER })),
    );
  /** The Id of a mirrored row, looked up inside the running mutation. */
  const idOf = async (w: MirrorWriter, table: string, key: string) =>
    (await w
      .query(table)
      .withIndex('by_pgKey', (q) => q.eq('pgKey', key))
      .unique())!._id as never;
  const storyDoc = async (id: number) =>
    (await target.documents('story')).find((d) => d.pgKey === String(id))!;
  const workerOptions = (overrides: Partial<ReverseSyncOptions> = {}): ReverseSyncOptions => ({
    tool: DEFAULT_TOOL_SCHEMA,
    pool: db.pool,
    source: changeLogSource(target),
    config: STORY_SITE_TABLES,
    retry: { budget: 3, baseDelayMs: 1, maxDelayMs: 2 },
    idleMs: 1,
    log: silentLogger,
    ...overrides,
  });
  const outboxCount = async () =>
    (await one<{ n: number }>(db.pool, 'SELECT count(*)::int AS n FROM tandem.outbox')).n;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
    target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    await makeRelay(db.pool, target).drain();
    await expectConvexEqualsPostgres(db.pool, target);
    storyId = (await one<{ id: number }>(db.pool, 'SELECT min(id) AS id FROM story')).id;
  });
  afterAll(async () => {
    await target?.close();
    await db?.close();
  });

  it('applies heavy columns and plain ones, raises versions past the outbox, and echoes nothing', async () => {
    const worker = new ReverseSyncWorker(workerOptions());
    const outboxBefore = await outboxCount();
    const floor = await worker.raiseConvexVersionFloor();
    await convexWrite(async (w) => {
      await w.patch(await idOf(w, 'story', String(storyId)), {
        name: 'Renamed in Convex',
        text: 'new text',
        json: { lines: [1, 2] },
      });
    });
    const doc = await storyDoc(storyId);
    expect(doc.pgVersion).toBe(floor + 1);
    expect(await worker.drain(['story'], 10_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
    const row = await one<Record<string, unknown>>(
      db.pool,
      'SELECT name, text, json FROM story WHERE id = $1',
      [storyId],
    );
    expect(row).toEqual({ name: 'Renamed in Convex', text: 'new text', json: { lines: [1, 2] } });
    expect(await outboxCount()).toBe(outboxBefore);
    const next = await one<{ seq: string }>(
      db.pool,
      `SELECT nextval('tandem.outbox_seq_seq') AS seq`,
    );
    expect(Number(next.seq)).toBeGreaterThan(floor + 1);
    await expectConvexEqualsPostgres(db.pool, target);
  });

  it('a frozen table takes reverse-sync writes and refuses every other writer', async () => {
    await db.pool.query(
      `CREATE TRIGGER tandem_freeze BEFORE INSERT OR UPDATE OR DELETE ON story
         FOR EACH ROW EXECUTE FUNCTION tandem.reject_frozen_write()`,
    );
    try {
      await expect(
        db.pool.query(`UPDATE story SET name = 'direct' WHERE id = $1`, [storyId]),
      ).rejects.toMatchObject({
        code: 'TF001',
      });
      await convexWrite(async (w) =>
        w.patch(await idOf(w, 'story', String(storyId)), { name: 'While frozen' }),
      );
      expect((await new ReverseSyncWorker(workerOptions()).drain(['story'], 10_000)).drained).toBe(
        true,
      );
      expect(
        (await one<{ name: string }>(db.pool, 'SELECT name FROM story WHERE id = $1', [storyId]))
          .name,
      ).toBe('While frozen');
    } finally {
      await db.pool.query('DROP TRIGGER tandem_freeze ON story');
    }
  });

  it('loses nothing and applies nothing twice when the worker dies before or after the Postgres commit', async () => {
    let killBefore = true;
    let killAfter = true;
    const worker = new ReverseSyncWorker(
      workerOptions({
        hooks: {
          beforeCommit() {
            if (killBefore) {
              killBefore = false;
              throw new Error('killed before commit');
            }
          },
          afterCommit() {
            if (killAfter) {
              killAfter = false;
              throw new Error('killed after commit');
            }
          },
        },
      }),
    );
    await convexWrite(async (w) => {
      await w.insert('story_done', {
        id: 900001,
        user_id: 1,
        story_id: storyId,
        time: 1_700_000_000_000,
      });
      await w.insert('story_done', {
        id: 900002,
        user_id: 2,
        story_id: storyId,
        time: 1_700_000_000_001,
      });
    });
    const applied = async () =>
      Number(
        (await one<{ applied: string }>(db.pool, 'SELECT applied FROM tandem.reverse_sync_state'))
          .applied,
      );
    const appliedBefore = await applied();
    const first = await worker.step(); // dies before COMMIT: nothing in Postgres
    expect(first.applied).toBe(0);
    expect(
      (
        await one<{ n: number }>(
          db.pool,
          'SELECT count(*)::int AS n FROM story_done WHERE id > 900000',
        )
      ).n,
    ).toBe(0);
    expect((await changeLogSource(target).pendingChanges(0)).pending).toBe(2);
    const second = await worker.step(); // commits, then dies before pruning
    expect(second.applied).toBe(0); // the step reports the crash, not the page
    expect(await applied()).toBe(appliedBefore + 2);
    expect((await changeLogSource(target).pendingChanges(0)).pending).toBe(2); // not pruned yet
    const third = await worker.step(); // reads after the cursor: nothing to apply, prunes
    expect([third.read, third.applied]).toEqual([0, 0]);
    expect(await applied()).toBe(appliedBefore + 2);
    expect((await changeLogSource(target).pendingChanges(0)).pending).toBe(0);
    const rows = await db.pool.query(
      'SELECT id, user_id, story_id, time FROM story_done WHERE id > 900000 ORDER BY id',
    );
    expect(rows.rows).toEqual([
      { id: 900001, user_id: 1, story_id: storyId, time: new Date(1_700_000_000_000) },
      { id: 900002, user_id: 2, story_id: storyId, time: new Date(1_700_000_000_001) },
    ]);
    await expectConvexEqualsPostgres(db.pool, target);
  });

  it('a replayed log changes nothing, and an old change after a new one changes nothing', async () => {
    const before = await snapshotTables(db.pool);
    const cursor = (
      await one<{ c: string }>(db.pool, 'SELECT cursor_seq AS c FROM tandem.reverse_sync_state')
    ).c;
    const doc = await storyDoc(storyId);
    const version = doc.pgVersion as number;
    const row = {
      ...(await target.exportPage('story', null, 8192)).page.find((r) => r.key === String(storyId))!
        .columns,
    };
    const replay: ChangeLogEntry[] = [
      {
        seq: 1,
        table: 'story',
        pgKey: String(storyId),
        op: 'upsert',
        version,
        doc: row,
        loggedAt: 0,
      },
      {
        seq: 2,
        table: 'story',
        pgKey: String(storyId),
        op: 'upsert',
        version: version - 1,
        doc: { ...row, name: 'older' },
        loggedAt: 0,
      },
      {
        seq: 3,
        table: 'story',
        pgKey: String(storyId),
        op: 'delete',
        version: version - 2,
        loggedAt: 0,
      },
    ];
    await db.pool.query('UPDATE tandem.reverse_sync_state SET cursor_seq = 0');
    try {
      const step = await new ReverseSyncWorker(
        workerOptions({ source: staticSource(replay) }),
      ).step();
      expect([step.applied, step.skipped, step.cursor]).toEqual([0, 3, 3]);
      expect(await snapshotTables(db.pool)).toEqual(before);
    } finally {
      await db.pool.query('UPDATE tandem.reverse_sync_state SET cursor_seq = $1', [cursor]);
    }
  });

  it('retries a failing change, then dead-letters it with the reason; bad data goes there at once; later changes still apply', async () => {
    await convexWrite(async (w) => {
      // Convex keeps no foreign keys: story 999999 exists only here, so Postgres refuses the row.
      await w.insert('story_done', {
        id: 900010,
        user_id: 1,
        story_id: 999_999,
        time: 1_700_000_000_000,
      });
      await w.insert('story_done', {
        id: 900011,
        user_id: 1,
        story_id: storyId,
        time: 1_700_000_000_000,
      });
    });
    const worker = new ReverseSyncWorker(
      workerOptions({ retry: { budget: 3, baseDelayMs: 10_000, maxDelayMs: 10_000 } }),
    );
    // With a long backoff the deadline passes first: not drained, the failing change still pending.
    expect(await worker.drain(['story_done'], 50)).toEqual({ drained: false, pending: 2 });
    const fast = new ReverseSyncWorker(workerOptions());
    expect(await fast.drain(['story_done'], 10_000)).toEqual({ drained: true, pending: 0, deadLetters: 1 });
    const dead = await db.pool.query(
      'SELECT table_name, key, op, reason, attempts FROM tandem.reverse_sync_dead_letter ORDER BY id',
    );
    expect(dead.rows).toHaveLength(1);
    expect(dead.rows[0]).toMatchObject({
      table_name: 'story_done',
      key: '900010',
      op: 'upsert',
      attempts: 3,
    });
    expect(dead.rows[0].reason).toMatch(/foreign key/);
    expect(
      (
        await one<{ n: number }>(
          db.pool,
          'SELECT count(*)::int AS n FROM story_done WHERE id IN (900010, 900011)',
        )
      ).n,
    ).toBe(1);

    const cursor = Number(
      (await one<{ c: string }>(db.pool, 'SELECT cursor_seq AS c FROM tandem.reverse_sync_state'))
        .c,
    );
    // The injected entry takes seq cursor + 1: Convex must not draw it again.
    await changeLogSource(target).raiseVersionFloor(cursor + 1);
    const bad: ChangeLogEntry = {
      seq: cursor + 1,
      table: 'story_done',
      pgKey: '900020',
      op: 'upsert',
      version: cursor + 1,
      doc: { id: 900020, user_id: 1, story_id: storyId, time: 1, colour: 'red' },
      loggedAt: 0,
    };
    const badWorker = new ReverseSyncWorker(workerOptions({ source: staticSource([bad]) }));
    expect((await badWorker.drain(undefined, 10_000)).drained).toBe(true);
    const last = await one<Record<string, unknown>>(
      db.pool,
      'SELECT key, reason, column_name, attempts FROM tandem.reverse_sync_dead_letter ORDER BY id DESC LIMIT 1',
    );
    expect(last).toEqual({
      key: '900020',
      reason: 'story_done 900020.colour: unknown-column: column is not in the mirror configuration',
      column_name: 'colour',
      attempts: 1,
    });
  });

  it('reports pending changes and lag in the metrics registry', async () => {
    const registry = new Registry();
    let now = Date.now();
    createReverseSyncMetrics(registry, DEFAULT_TOOL_SCHEMA, db.pool, changeLogSource(target), () => now);
    await convexWrite(async (w) =>
      w.patch(await idOf(w, 'story', String(storyId)), { name: 'lagging' }),
    );
    now += 60_000;
    const cursor = Number(
      (await one<{ c: string }>(db.pool, 'SELECT cursor_seq AS c FROM tandem.reverse_sync_state'))
        .c,
    );
    const { oldestLoggedAt } = await changeLogSource(target).pendingChanges(cursor);
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)!.values[0]!.value;
    expect(value('tandem_reverse_sync_pending')).toBe(1);
    expect(value('tandem_reverse_sync_lag_seconds')).toBe((now - oldestLoggedAt!) / 1000);
    expect(now - oldestLoggedAt!).toBeGreaterThan(50_000);
    expect(value('tandem_reverse_sync_dead_letters_unresolved')).toBe(2);
    await new ReverseSyncWorker(workerOptions()).drain(undefined, 10_000);
    now += 2_000;
    const after = await registry.getMetricsAsJSON();
    expect(after.find((m) => m.name === 'tandem_reverse_sync_pending')!.values[0]!.value).toBe(0);
    expect(after.find((m) => m.name === 'tandem_reverse_sync_lag_seconds')!.values[0]!.value).toBe(
      0,
    );
  });
});
