import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureStatus, installCapture, pruneOutbox, setOperationKey, untrackedWrites } from '../../src/capture/index.js';
import { withTransaction } from '../../src/postgres/database.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { outboxEvents, prepareCaptureDatabase, resetCapture } from './captureFixture.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('capture status and pruning [%s]', (backend) => {
  let db: TestDatabase;
  const sql = (text: string, params: unknown[] = []) => db.pool.query(text, params);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCaptureDatabase(db.pool);
  });
  beforeEach(() => resetCapture(db.pool));
  afterAll(() => db?.close());

  it('reports pending events, their oldest age and untracked writes per table', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['language', 'image'] });
    await sql(`UPDATE language SET flag = 1 WHERE id IN (1, 2)`);
    await withTransaction(db.pool, async (tx) => {
      await setOperationKey(tx, 'op-1');
      await tx.query(`UPDATE image SET active = 'n' WHERE id = 'img-a'`);
    });
    const status = await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES);
    const byTable = new Map(status.map((s) => [s.table, s]));
    expect(byTable.get('language')).toMatchObject({ state: 'enabled', pending: 2, untracked: 2 });
    expect(byTable.get('image')).toMatchObject({ state: 'enabled', pending: 1, untracked: 0 });
    expect(byTable.get('language')!.oldestPendingMs).toBeGreaterThanOrEqual(0);
    expect(byTable.get('story')).toEqual({
      table: 'story',
      state: 'absent',
      installed: false,
      keyColumns: ['id'],
      pending: 0,
      oldestPendingMs: null,
      untracked: 0,
      refusedWhileFrozen: 0,
      paused: null,
      shapeChange: null,
    });
  });

  it('pruning processed events keeps the untracked counts', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['language'] });
    await sql(`UPDATE language SET flag = 1 WHERE id IN (1, 2)`);
    await withTransaction(db.pool, async (tx) => {
      await setOperationKey(tx, 'op-1');
      await tx.query(`UPDATE language SET flag = 2 WHERE id = 3`);
    });
    await sql(`UPDATE language SET flag = 3 WHERE id = 3`); // stays pending
    const [first, second, third] = await outboxEvents(db.pool);
    await sql(
      `UPDATE tandem.outbox SET status = 'done', processed_at = now() - interval '2 days' WHERE seq = ANY($1::bigint[])`,
      [[first!.seq, second!.seq, third!.seq]],
    );
    expect(await pruneOutbox(db.pool, DEFAULT_TOOL_SCHEMA, new Date(Date.now() - 86_400_000))).toBe(3);
    expect((await outboxEvents(db.pool)).map((e) => e.key)).toEqual(['3']);
    expect((await untrackedWrites(db.pool, DEFAULT_TOOL_SCHEMA)).map(({ table, count }) => ({ table, count }))).toEqual([
      { table: 'language', count: 3 },
    ]);
    expect(await pruneOutbox(db.pool, DEFAULT_TOOL_SCHEMA, new Date())).toBe(0);
    const rollup = await sql('SELECT table_name, count::int AS count FROM tandem.untracked_write');
    expect(rollup.rows).toEqual([{ table_name: 'language', count: 2 }]);
  });
});

async function waitUntilBlocked(pool: pg.Pool, pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await pool.query('SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows[0]?.wait_event_type === 'Lock') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`backend ${pid} never waited on a lock`);
}

describe.runIf(backends.includes('postgres'))('row version order [postgres]', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await prepareCaptureDatabase(db.pool);
  });
  afterAll(() => db?.close());

  it('two transactions updating one row: the second blocks on the row lock and gets the larger seq', async () => {
    await resetCapture(db.pool);
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['story', 'image'] });
    const first = await db.pool.connect();
    const second = await db.pool.connect();
    try {
      const secondPid = (await second.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await first.query('BEGIN');
      await first.query(`UPDATE story SET name = 'first' WHERE id = 1`);
      await second.query('BEGIN');
      // Drawn before the first commits, so global seq order is not commit order...
      await second.query(`UPDATE image SET active = 'second' WHERE id = 'img-b'`);
      const blocked = second.query(`UPDATE story SET name = 'second' WHERE id = 1`);
      await waitUntilBlocked(db.pool, secondPid);
      // ...and the first draws a seq after the second's image event.
      await first.query(`UPDATE image SET active = 'first' WHERE id = 'img-a'`);
      await first.query('COMMIT');
      await blocked;
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    const events = await outboxEvents(db.pool);
    expect(events.map((e) => [e.table, e.key, e.row?.name ?? e.row?.active])).toEqual([
      ['story', '1', 'first'],
      ['image', 'img-b', 'second'],
      ['image', 'img-a', 'first'],
      ['story', '1', 'second'],
    ]);
    // Per row, seq follows commit order; the two transactions' txids differ.
    expect(events[0]!.txid).toBe(events[2]!.txid);
    expect(events[1]!.txid).toBe(events[3]!.txid);
    expect(events[0]!.txid).not.toBe(events[1]!.txid);
    const { rows } = await db.pool.query(`SELECT name FROM story WHERE id = 1`);
    expect(rows[0].name).toBe('second');
  });
});
