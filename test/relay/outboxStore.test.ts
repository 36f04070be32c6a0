/**
 * The outbox's claim, lease and completion statements, one by one, on rows
 * written straight into tandem.outbox (no application schema, no capture):
 * which events a claim takes and leaves, what completing, retrying and
 * dead-lettering change, and the lag and drain queries. Also the outbox
 * module's focused test set under mutation testing (scripts/mutationModules.mjs):
 * each test resets the outbox instead of building a database.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { migrate } from '../../src/postgres/migrate.js';
import {
  appliedEvents,
  claimTransactions,
  completeEvents,
  deadLetterEvents,
  outboxDrained,
  outboxLag,
  scheduleRetry,
  secondsUntilNextClaimable,
  type ClaimOptions,
} from '../../src/relay/outboxStore.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();

interface EventSpec {
  txid: number;
  table?: string;
  key?: string;
  op?: 'insert' | 'update' | 'delete';
  row?: Record<string, unknown> | null;
  operationKey?: string | null;
  unchanged?: string[] | null;
  status?: 'pending' | 'done' | 'dead';
  attempts?: number;
  /** Seconds from now until the event is due (negative: overdue). */
  dueIn?: number;
  leasedBy?: string | null;
  /** Seconds from now until the lease expires (negative: expired). */
  leaseIn?: number | null;
  /** Seconds ago the event was captured. */
  capturedAgo?: number;
}

interface OutboxRowState {
  seq: number;
  status: string;
  attempts: number;
  leased_by: string | null;
  lease_s: number | null;
  due_s: number;
  last_error: string | null;
  processed: boolean;
}

describe.each(backends)('outbox store [%s]', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool);
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await db.pool.query(
      'TRUNCATE tandem.outbox, tandem.dead_letter, tandem.table_pause RESTART IDENTITY',
    );
  });

  /** Inserts events in order (seq 1, 2, … after the reset); returns their seqs. */
  async function insert(...events: EventSpec[]): Promise<number[]> {
    const seqs: number[] = [];
    for (const e of events) {
      const { rows } = await db.pool.query<{ seq: string }>(
        `INSERT INTO tandem.outbox (txid, table_name, key, op, "row", operation_key, unchanged, status, attempts,
                                    next_attempt_at, leased_by, lease_expires_at, captured_at)
         VALUES ($1::text::xid8, $2, $3, $4, $5::jsonb, $6, $7::text[], $8, $9,
                 now() + make_interval(secs => $10), $11,
                 CASE WHEN $12::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $12::float8) END,
                 now() - make_interval(secs => $13))
         RETURNING seq`,
        [
          String(e.txid),
          e.table ?? 'item',
          e.key ?? `k${seqs.length + 1}`,
          e.op ?? 'insert',
          e.row === undefined
            ? JSON.stringify({ n: seqs.length + 1 })
            : e.row === null
              ? null
              : JSON.stringify(e.row),
          e.operationKey ?? null,
          e.unchanged ?? null,
          e.status ?? 'pending',
          e.attempts ?? 0,
          e.dueIn ?? -1,
          e.leasedBy ?? null,
          e.leaseIn ?? null,
          e.capturedAgo ?? 0,
        ],
      );
      seqs.push(Number(rows[0]!.seq));
    }
    return seqs;
  }

  async function state(): Promise<OutboxRowState[]> {
    const { rows } = await db.pool.query<OutboxRowState & { seq: string }>(
      `SELECT seq, status, attempts, leased_by,
              round(extract(epoch FROM lease_expires_at - now()))::int AS lease_s,
              round(extract(epoch FROM next_attempt_at - now()))::int AS due_s,
              last_error, processed_at IS NOT NULL AS processed
         FROM tandem.outbox ORDER BY seq`,
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  const claim = (options: Partial<ClaimOptions> = {}) =>
    claimTransactions(db.pool, { workerId: 'w1', maxEvents: 100, leaseMs: 30_000, ...options });

  /** Claimed transactions as txid → seqs. */
  const shape = (claimed: Awaited<ReturnType<typeof claim>>) =>
    claimed.map((t) => [t.txid, t.events.map((e) => e.seq)]);

  it('claims nothing from an empty outbox, and nothing done, dead, not yet due or leased', async () => {
    expect(await claim()).toEqual([]);
    await insert(
      { txid: 10, status: 'done' },
      { txid: 11, status: 'dead' },
      { txid: 12, dueIn: 60 },
      { txid: 13, leasedBy: 'w2', leaseIn: 60 },
    );
    expect(await claim()).toEqual([]);
    expect((await state()).map((r) => r.leased_by)).toEqual([null, null, null, 'w2']);
  });

  it('claims whole transactions in seq order, each event as captured, and leases them to the worker', async () => {
    await insert(
      {
        txid: 20,
        table: 'story',
        key: '1',
        op: 'update',
        row: { id: 1, t: 'a' },
        operationKey: 'op-1',
        unchanged: ['text'],
        attempts: 2,
      },
      { txid: 21, table: 'course', key: '7', op: 'delete', row: null, capturedAgo: 30 },
      { txid: 20, table: 'course', key: '7', op: 'update', row: { id: 7 } },
    );
    const claimed = await claim({ leaseMs: 45_000 });
    expect(shape(claimed)).toEqual([
      ['20', [1, 3]],
      ['21', [2]],
    ]);
    const [first, second] = claimed;
    expect(first!.events[0]).toMatchObject({
      seq: 1,
      txid: '20',
      table: 'story',
      key: '1',
      op: 'update',
      row: { id: 1, t: 'a' },
      unchanged: ['text'],
      operationKey: 'op-1',
      attempts: 2,
    });
    expect(first!.events[1]).not.toHaveProperty('unchanged');
    expect(second!.events[0]).toMatchObject({
      seq: 2,
      op: 'delete',
      row: null,
      operationKey: null,
      attempts: 0,
    });
    const capturedAgoMs = Date.now() - second!.events[0]!.capturedAt.getTime();
    expect(capturedAgoMs).toBeGreaterThan(25_000);
    expect(capturedAgoMs).toBeLessThan(35_000);
    expect((await state()).map((r) => [r.leased_by, r.lease_s])).toEqual([
      ['w1', 45],
      ['w1', 45],
      ['w1', 45],
    ]);
    // Leased: a second claim, by anyone, takes none of it.
    expect(await claim({ workerId: 'w2' })).toEqual([]);
  });

  it('claims an event whose lease expired (its worker died), and one just due', async () => {
    await insert(
      { txid: 30, leasedBy: 'dead-worker', leaseIn: -1 },
      { txid: 31, dueIn: -1 },
      { txid: 32, dueIn: 30 },
    );
    expect(shape(await claim())).toEqual([
      ['30', [1]],
      ['31', [2]],
    ]);
    expect((await state()).map((r) => r.leased_by)).toEqual(['w1', 'w1', null]);
  });

  it('looks at maxEvents events from the head (at least one) but leases their transactions whole', async () => {
    await insert({ txid: 40 }, { txid: 41 }, { txid: 40 }, { txid: 42 }, { txid: 43 });
    // The head is seqs 1–2 (txids 40, 41); txid 40's event at seq 3 comes along.
    expect(shape(await claim({ maxEvents: 2 }))).toEqual([
      ['40', [1, 3]],
      ['41', [2]],
    ]);
    expect(shape(await claim({ maxEvents: 0 }))).toEqual([['42', [4]]]);
    expect(shape(await claim({ maxEvents: 1 }))).toEqual([['43', [5]]]);
  });

  it('claims only the named transaction for the fast path', async () => {
    await insert({ txid: 50 }, { txid: 51 }, { txid: 51 }, { txid: 52 });
    expect(shape(await claim({ txid: '51' }))).toEqual([['51', [2, 3]]]);
    expect((await state()).map((r) => r.leased_by)).toEqual([null, 'w1', 'w1', null]);
  });

  it('stops adding transactions once their row images reach the byte budget, but always takes one', async () => {
    const big = { pad: 'x'.repeat(400) };
    await insert(
      { txid: 60, row: big },
      { txid: 60, row: big },
      { txid: 61, row: big },
      { txid: 62, row: big },
    );
    const { rows } = await db.pool.query<{ bytes: number }>(
      'SELECT pg_column_size("row")::int AS bytes FROM tandem.outbox WHERE seq = 1',
    );
    const one = rows[0]!.bytes;
    const release = () =>
      db.pool.query('UPDATE tandem.outbox SET leased_by = NULL, lease_expires_at = NULL');
    // Exactly two images' worth: txid 60 reaches the budget, so 61 is left.
    expect(shape(await claim({ maxBytes: 2 * one }))).toEqual([['60', [1, 2]]]);
    await release();
    // One byte more: 61 fits in, 62 no longer does.
    expect(shape(await claim({ maxBytes: 2 * one + 1 }))).toEqual([
      ['60', [1, 2]],
      ['61', [3]],
    ]);
    await release();
    // A transaction bigger than the budget is still claimed, alone; so is one under no budget at all.
    expect(shape(await claim({ maxBytes: 1 }))).toEqual([['60', [1, 2]]]);
    await release();
    expect(shape(await claim({ maxBytes: 0 }))).toEqual([['60', [1, 2]]]);
    await release();
    // The default budget (16 MiB) holds all of them.
    expect(shape(await claim())).toEqual([
      ['60', [1, 2]],
      ['61', [3]],
      ['62', [4]],
    ]);
  });

  it('holds back every transaction that touches a paused table, until it resumes', async () => {
    await insert(
      { txid: 70, table: 'a' },
      { txid: 70, table: 'b' },
      { txid: 71, table: 'a' },
      { txid: 72, table: 'c' },
    );
    await db.pool.query(
      `INSERT INTO tandem.table_pause (table_name, paused_at, resumed_at) VALUES ('b', now(), NULL), ('c', now(), now())`,
    );
    // 'b' paused holds txid 70 whole (its 'a' event too); 'c' was resumed.
    expect(shape(await claim())).toEqual([
      ['71', [3]],
      ['72', [4]],
    ]);
    await completeEvents(db.pool, [3, 4]);
    // Only held events are pending: drained, nothing claimable, yet they count as lag.
    expect(await outboxDrained(db.pool)).toBe(true);
    expect(await secondsUntilNextClaimable(db.pool)).toBe(null);
    expect(await outboxLag(db.pool)).toMatchObject({ pending: 2 });
    await db.pool.query(`UPDATE tandem.table_pause SET resumed_at = now() WHERE table_name = 'b'`);
    expect(await outboxDrained(db.pool)).toBe(false);
    expect(shape(await claim())).toEqual([['70', [1, 2]]]);
  });

  it('completes only pending events: done, processed, lease and last error cleared', async () => {
    await insert(
      { txid: 80, leasedBy: 'w1', leaseIn: 30 },
      { txid: 80, status: 'dead' },
      { txid: 81 },
    );
    await scheduleRetry(db.pool, [1], 0, 'boom', true);
    await db.pool.query(
      `UPDATE tandem.outbox SET leased_by = 'w1', lease_expires_at = now() + interval '30 s'`,
    );
    await completeEvents(db.pool, [1, 2]);
    await completeEvents(db.pool, []);
    expect(
      (await state()).map((r) => [r.status, r.leased_by, r.lease_s, r.last_error, r.processed]),
    ).toEqual([
      ['done', null, null, null, true],
      ['dead', 'w1', 30, null, false],
      ['pending', 'w1', 30, null, false],
    ]);
  });

  it('schedules a retry: due after the delay, lease cleared, error kept, attempt counted only when asked', async () => {
    await insert(
      { txid: 90, leasedBy: 'w1', leaseIn: 30, attempts: 1 },
      { txid: 90 },
      { txid: 91, status: 'done' },
    );
    await scheduleRetry(db.pool, [1, 3], 20_000, 'x'.repeat(2500), true);
    await scheduleRetry(db.pool, [2], 40_000, 'outage', false);
    await scheduleRetry(db.pool, [], 1, 'never', true);
    const rows = await state();
    expect(rows.map((r) => [r.status, r.attempts, r.leased_by, r.lease_s, r.due_s])).toEqual([
      ['pending', 2, null, null, 20],
      ['pending', 0, null, null, 40],
      ['done', 0, null, null, -1],
    ]);
    expect(rows.map((r) => r.last_error?.length ?? null)).toEqual([2000, 6, null]);
    expect(await secondsUntilNextClaimable(db.pool)).toBeGreaterThan(19);
    expect(await secondsUntilNextClaimable(db.pool)).toBeLessThanOrEqual(20);
    expect(await claim()).toEqual([]);
  });

  it('dead-letters pending events with their reason, rule and column, in one step', async () => {
    await insert(
      {
        txid: 100,
        table: 'story',
        key: '5',
        op: 'update',
        row: { id: 5 },
        operationKey: 'op',
        unchanged: ['json'],
        attempts: 3,
        leasedBy: 'w1',
        leaseIn: 30,
        capturedAgo: 60,
      },
      { txid: 100, table: 'story', key: '6' },
      { txid: 101, status: 'done' },
    );
    await deadLetterEvents(db.pool, [
      { seq: 1, reason: 'r'.repeat(2100), rule: 'nan', column: 'score' },
      { seq: 2, reason: 'too big' },
      { seq: 3, reason: 'already applied' },
    ]);
    await deadLetterEvents(db.pool, []);
    expect(
      (await state()).map((r) => [
        r.status,
        r.attempts,
        r.leased_by,
        r.lease_s,
        r.last_error?.length,
        r.processed,
      ]),
    ).toEqual([
      ['dead', 4, null, null, 2000, true],
      ['dead', 1, null, null, 7, true],
      ['done', 0, null, null, undefined, false],
    ]);
    const { rows } = await db.pool.query(
      `SELECT seq::int, txid::text, table_name, key, op, "row", unchanged, operation_key, length(reason) AS reason_length,
              rule, column_name, attempts, round(extract(epoch FROM now() - first_failed_at))::int AS failed_ago
         FROM tandem.dead_letter ORDER BY seq`,
    );
    expect(rows).toEqual([
      {
        seq: 1,
        txid: '100',
        table_name: 'story',
        key: '5',
        op: 'update',
        row: { id: 5 },
        unchanged: ['json'],
        operation_key: 'op',
        reason_length: 2000,
        rule: 'nan',
        column_name: 'score',
        attempts: 4,
        failed_ago: 60,
      },
      {
        seq: 2,
        txid: '100',
        table_name: 'story',
        key: '6',
        op: 'insert',
        row: { n: 2 },
        unchanged: null,
        operation_key: null,
        reason_length: 7,
        rule: null,
        column_name: null,
        attempts: 1,
        failed_ago: 0,
      },
    ]);
  });

  it('reports lag, drain and the wait until the next claimable event', async () => {
    expect(await outboxLag(db.pool)).toEqual({ pending: 0, oldestPendingSeconds: 0 });
    expect(await outboxDrained(db.pool)).toBe(true);
    expect(await secondsUntilNextClaimable(db.pool)).toBe(null);
    await insert(
      { txid: 110, status: 'done', capturedAgo: 500 },
      { txid: 111, capturedAgo: 90 },
      { txid: 112, capturedAgo: 10 },
    );
    const lag = await outboxLag(db.pool);
    expect(lag.pending).toBe(2);
    expect(Math.round(lag.oldestPendingSeconds)).toBe(90);
    expect(await outboxDrained(db.pool)).toBe(false);
    expect(await secondsUntilNextClaimable(db.pool)).toBe(0);
    // Leased for 50 s though due now: the lease decides; a later due time would.
    await db.pool.query(
      `UPDATE tandem.outbox SET leased_by = 'w1', lease_expires_at = now() + interval '50 s' WHERE status = 'pending'`,
    );
    expect(Math.round((await secondsUntilNextClaimable(db.pool))!)).toBe(50);
    await db.pool.query(
      `UPDATE tandem.outbox SET next_attempt_at = now() + interval '70 s' WHERE seq = 2`,
    );
    expect(Math.round((await secondsUntilNextClaimable(db.pool))!)).toBe(50);
    await db.pool.query(
      `UPDATE tandem.outbox SET next_attempt_at = now() + interval '70 s' WHERE seq = 3`,
    );
    expect(Math.round((await secondsUntilNextClaimable(db.pool))!)).toBe(70);
    // Leased events are still pending: not drained.
    expect(await outboxDrained(db.pool)).toBe(false);
  });

  it('lists the newest applied events of a table for a drill, grouped by transaction in seq order', async () => {
    await insert(
      { txid: 120, table: 't', status: 'done' },
      { txid: 121, table: 't', status: 'done' },
      { txid: 121, table: 'u', status: 'done' },
      { txid: 121, table: 't', status: 'done' },
      { txid: 122, table: 't' },
      { txid: 123, table: 't', status: 'dead' },
    );
    expect(shape(await appliedEvents(db.pool, 't', 2))).toEqual([['121', [2, 4]]]);
    expect(shape(await appliedEvents(db.pool, 't', 10))).toEqual([
      ['120', [1]],
      ['121', [2, 4]],
    ]);
    expect(await appliedEvents(db.pool, 'none', 10)).toEqual([]);
  });

  // Two connections holding transactions at once: PGlite serializes them (docs/architecture.md).
  it.runIf(backend === 'postgres')(
    'leaves a transaction another worker is claiming, and gives back one it could lease only in part [postgres]',
    async () => {
      await insert({ txid: 130 }, { txid: 131 }, { txid: 131 }, { txid: 132 });
      const other: pg.PoolClient = await db.pool.connect();
      try {
        await other.query('BEGIN');
        // Another worker mid-claim of txid 130: it holds the txid's advisory lock.
        await other.query(`SELECT pg_advisory_xact_lock($1, 130)`, [0x7a4d]);
        // … and someone holds one of txid 131's rows (seq 3) locked.
        await other.query('SELECT seq FROM tandem.outbox WHERE seq = 3 FOR UPDATE');
        expect(shape(await claim())).toEqual([['132', [4]]]);
        expect((await state()).map((r) => r.leased_by)).toEqual([null, null, null, 'w1']);
        await other.query('ROLLBACK');
      } finally {
        other.release();
      }
      expect(shape(await claim({ workerId: 'w2' }))).toEqual([
        ['130', [1]],
        ['131', [2, 3]],
      ]);
    },
  );
});
