/**
 * The outbox's claim and completion statements, one by one, on rows written
 * straight into tandem.outbox and tandem.relay_claim (no application schema,
 * no capture): which events a claim takes and leaves, what its claim row holds,
 * what completing, retrying and dead-lettering change, and the lag and drain
 * queries. test/relay/claims.test.ts pins the claim model itself (one claim row,
 * no outbox write, release, fast path against relay claims); this file pins the
 * rest of each statement. Also the outbox module's focused test set under
 * mutation testing (scripts/mutationModules.mjs): each test resets the outbox
 * instead of building a database.
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
  releaseClaim,
  scheduleRetry,
  secondsUntilNextClaimable,
  type Claim,
  type ClaimedTransaction,
  type ClaimOptions,
} from '../../src/outbox/outboxStore.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

/** Advisory-lock classes of src/outbox/outboxStore.ts: a txid's own lock, and the relay workers' claim lock. */
const TXID_LOCK_CLASS = 0x7a4d;
const RELAY_CLAIM_LOCK_CLASS = 0x7a4e;

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
  /** Seconds ago the event was captured. */
  capturedAgo?: number;
}

interface OutboxRowState {
  seq: number;
  status: string;
  attempts: number;
  due_s: number;
  last_error: string | null;
  processed: boolean;
}

interface ClaimRowState {
  id: string;
  leased_by: string;
  txids: string[];
  /** Seconds until the lease expires, rounded. */
  lease_s: number;
}

describe.each(backends)('outbox store [%s]', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await db.pool.query(
      'TRUNCATE tandem.outbox, tandem.relay_claim, tandem.dead_letter, tandem.table_pause RESTART IDENTITY',
    );
  });

  /** Inserts events in order (seq 1, 2, … after the reset); returns their seqs. */
  async function insert(...events: EventSpec[]): Promise<number[]> {
    const seqs: number[] = [];
    for (const e of events) {
      const { rows } = await db.pool.query<{ seq: string }>(
        `INSERT INTO tandem.outbox (txid, table_name, key, op, "row", operation_key, unchanged, status, attempts,
                                    next_attempt_at, captured_at)
         VALUES ($1::text::xid8, $2, $3, $4, $5::jsonb, $6, $7::text[], $8, $9,
                 now() + make_interval(secs => $10), now() - make_interval(secs => $11))
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
          e.capturedAgo ?? 0,
        ],
      );
      seqs.push(Number(rows[0]!.seq));
    }
    return seqs;
  }

  /** A claim row as another worker would have left it; `leaseIn` seconds from now (negative: expired). */
  async function lease(workerId: string, txids: number[], leaseIn: number): Promise<void> {
    await db.pool.query(
      `INSERT INTO tandem.relay_claim (leased_by, txids, expires_at)
       VALUES ($1, $2::text[]::xid8[], now() + make_interval(secs => $3::float8))`,
      [workerId, txids.map(String), leaseIn],
    );
  }

  async function state(): Promise<OutboxRowState[]> {
    const { rows } = await db.pool.query<OutboxRowState & { seq: string }>(
      `SELECT seq, status, attempts,
              round(extract(epoch FROM next_attempt_at - now()))::int AS due_s,
              last_error, processed_at IS NOT NULL AS processed
         FROM tandem.outbox ORDER BY seq`,
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  async function claimRows(): Promise<ClaimRowState[]> {
    const { rows } = await db.pool.query<ClaimRowState>(
      `SELECT id::text AS id, leased_by, txids::text[] AS txids,
              round(extract(epoch FROM expires_at - now()))::int AS lease_s
         FROM tandem.relay_claim ORDER BY id`,
    );
    return rows;
  }

  const claim = (options: Partial<ClaimOptions> = {}) =>
    claimTransactions(db.pool, DEFAULT_TOOL_SCHEMA, { workerId: 'w1', maxEvents: 100, leaseMs: 30_000, ...options });

  /** Transactions as txid → seqs. */
  const txShape = (transactions: ClaimedTransaction[]) =>
    transactions.map((t) => [t.txid, t.events.map((e) => e.seq)]);
  /** A claim's transactions as txid → seqs; null when nothing was claimed. */
  const shape = (claimed: Claim | null) =>
    claimed === null ? null : txShape(claimed.transactions);

  it('claims nothing from an empty outbox, and nothing done, dead, not yet due or in a live claim', async () => {
    expect(await claim()).toBeNull();
    await insert(
      { txid: 10, status: 'done' },
      { txid: 11, status: 'dead' },
      { txid: 12, dueIn: 60 },
      { txid: 13 },
    );
    // Txid 13 sits in the middle of another worker's live claim.
    await lease('w2', [9, 13, 15], 60);
    expect(await claim()).toBeNull();
    expect(await claim({ txid: '12' })).toBeNull();
    // Nothing claimed leaves no claim row behind.
    expect((await claimRows()).map((c) => [c.leased_by, c.txids])).toEqual([
      ['w2', ['9', '13', '15']],
    ]);
  });

  it('claims whole transactions in seq order, each event as captured, in one claim row leased to the worker', async () => {
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
      { txid: 9, table: 'course', key: '7', op: 'delete', row: null, capturedAgo: 30 },
      { txid: 20, table: 'course', key: '7', op: 'update', row: { id: 7 } },
    );
    const claimed = await claim({ leaseMs: 45_000 });
    // Transactions in the order of their first event, not of their txids.
    expect(shape(claimed)).toEqual([
      ['20', [1, 3]],
      ['9', [2]],
    ]);
    const [first, second] = claimed!.transactions;
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
    // The claim row lists its txids in txid order, and the claim returned is that row.
    expect(await claimRows()).toEqual([
      { id: claimed!.id, leased_by: 'w1', txids: ['9', '20'], lease_s: 45 },
    ]);
    // Leased: a second claim, by anyone, takes none of it.
    expect(await claim({ workerId: 'w2' })).toBeNull();
  });

  it('claims the transactions of an expired claim (its worker died) and one just due, and clears the dead claim', async () => {
    await insert({ txid: 30 }, { txid: 31, dueIn: -1 }, { txid: 32, dueIn: 30 }, { txid: 33 });
    await lease('dead-worker', [30], -1);
    await lease('w2', [33], 60);
    expect(shape(await claim())).toEqual([
      ['30', [1]],
      ['31', [2]],
    ]);
    // The expired claim is deleted; the live one of w2 is kept.
    expect((await claimRows()).map((c) => [c.leased_by, c.txids])).toEqual([
      ['w2', ['33']],
      ['w1', ['30', '31']],
    ]);
  });

  it('a fast-path claim takes a txid whose claim expired, but leaves dead claims to the (serialized) relay claims', async () => {
    await insert({ txid: 35 }, { txid: 36 });
    await lease('dead-worker', [35, 36], -1);
    expect(shape(await claim({ workerId: 'mirror', txid: '35' }))).toEqual([['35', [1]]]);
    expect((await claimRows()).map((c) => [c.leased_by, c.txids])).toEqual([
      ['dead-worker', ['35', '36']],
      ['mirror', ['35']],
    ]);
    expect(shape(await claim())).toEqual([['36', [2]]]);
    expect((await claimRows()).map((c) => [c.leased_by, c.txids])).toEqual([
      ['mirror', ['35']],
      ['w1', ['36']],
    ]);
  });

  it('releasing a claim ends its lease alone: its pending transactions are claimable again, others stay leased', async () => {
    await insert({ txid: 37 }, { txid: 38 }, { txid: 39, dueIn: 30 });
    const first = await claim({ maxEvents: 1 });
    const second = await claim({ workerId: 'w2' });
    expect([shape(first), shape(second)]).toEqual([[['37', [1]]], [['38', [2]]]]);
    await releaseClaim(db.pool, DEFAULT_TOOL_SCHEMA, first!.id);
    expect((await claimRows()).map((c) => c.id)).toEqual([second!.id]);
    expect(shape(await claim({ workerId: 'w3' }))).toEqual([['37', [1]]]);
    // Releasing a claim that is gone already changes nothing.
    await releaseClaim(db.pool, DEFAULT_TOOL_SCHEMA, first!.id);
    expect((await claimRows()).map((c) => c.leased_by)).toEqual(['w2', 'w3']);
  });

  it('gives its claim back and returns null when its events were applied by someone else before it read them', async () => {
    await insert({ txid: 39 }, { txid: 39 });
    // The claim commits on a connection of its own, then reads its events with pool.query: complete them in between.
    const racing = {
      connect: () => db.pool.connect(),
      query: async (...args: Parameters<pg.Pool['query']>) => {
        await completeEvents(db.pool, DEFAULT_TOOL_SCHEMA, [1, 2]);
        return db.pool.query(...args);
      },
    } as unknown as pg.Pool;
    const claimed = await claimTransactions(racing, DEFAULT_TOOL_SCHEMA, {
      workerId: 'w1',
      maxEvents: 100,
      leaseMs: 30_000,
    });
    expect(claimed).toBeNull();
    expect(await claimRows()).toEqual([]);
  });

  it('looks at maxEvents events from the head (at least one) but claims their transactions whole', async () => {
    await insert({ txid: 40 }, { txid: 41 }, { txid: 40 }, { txid: 42 }, { txid: 43 });
    // The head is seqs 1–2 (txids 40, 41); txid 40's event at seq 3 comes along.
    expect(shape(await claim({ maxEvents: 2 }))).toEqual([
      ['40', [1, 3]],
      ['41', [2]],
    ]);
    // The leased transactions are not part of the head: the next one is.
    expect(shape(await claim({ maxEvents: 0 }))).toEqual([['42', [4]]]);
    expect(shape(await claim({ maxEvents: 1 }))).toEqual([['43', [5]]]);
  });

  it('claims only the named transaction for the fast path', async () => {
    await insert({ txid: 50 }, { txid: 51 }, { txid: 51 }, { txid: 52 });
    expect(shape(await claim({ workerId: 'mirror', txid: '51' }))).toEqual([['51', [2, 3]]]);
    expect((await claimRows()).map((c) => [c.leased_by, c.txids])).toEqual([['mirror', ['51']]]);
    expect(shape(await claim())).toEqual([
      ['50', [1]],
      ['52', [4]],
    ]);
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
    const claimReleased = async (maxBytes?: number) => {
      const claimed = await claim({ maxBytes });
      if (claimed) await releaseClaim(db.pool, DEFAULT_TOOL_SCHEMA, claimed.id);
      return shape(claimed);
    };
    // Exactly two images' worth: txid 60 reaches the budget, so 61 is left.
    expect(await claimReleased(2 * one)).toEqual([['60', [1, 2]]]);
    // One byte more: 61 fits in, 62 no longer does.
    expect(await claimReleased(2 * one + 1)).toEqual([
      ['60', [1, 2]],
      ['61', [3]],
    ]);
    // A transaction bigger than the budget is still claimed, alone; so is one under no budget at all.
    expect(await claimReleased(1)).toEqual([['60', [1, 2]]]);
    expect(await claimReleased(0)).toEqual([['60', [1, 2]]]);
    // The default budget (16 MiB) holds all of them.
    expect(await claimReleased()).toEqual([
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
    expect(await claim({ txid: '70' })).toBeNull();
    await completeEvents(db.pool, DEFAULT_TOOL_SCHEMA, [3, 4]);
    // Only held events are pending: drained, nothing claimable, yet they count as lag.
    expect(await outboxDrained(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(true);
    expect(await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(null);
    expect(await outboxLag(db.pool, DEFAULT_TOOL_SCHEMA)).toMatchObject({ pending: 2 });
    await db.pool.query(`UPDATE tandem.table_pause SET resumed_at = now() WHERE table_name = 'b'`);
    expect(await outboxDrained(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(false);
    expect(shape(await claim())).toEqual([['70', [1, 2]]]);
  });

  it('completes only pending events: done, processed, last error cleared; the claim is left to its release', async () => {
    await insert({ txid: 80 }, { txid: 80, status: 'dead' }, { txid: 81 });
    await scheduleRetry(db.pool, DEFAULT_TOOL_SCHEMA, [1, 2, 3], 0, 'boom', true);
    const claimed = await claim();
    await completeEvents(db.pool, DEFAULT_TOOL_SCHEMA, [1, 2]);
    await completeEvents(db.pool, DEFAULT_TOOL_SCHEMA, []);
    expect((await state()).map((r) => [r.status, r.last_error, r.processed])).toEqual([
      ['done', null, true],
      ['dead', null, false],
      ['pending', 'boom', false],
    ]);
    expect((await claimRows()).map((c) => c.id)).toEqual([claimed!.id]);
  });

  it('schedules a retry: due after the delay, error kept, attempt counted only when asked', async () => {
    await insert({ txid: 90, attempts: 1 }, { txid: 90 }, { txid: 91, status: 'done' });
    const claimed = await claim();
    await scheduleRetry(db.pool, DEFAULT_TOOL_SCHEMA, [1, 3], 20_000, 'x'.repeat(2500), true);
    await scheduleRetry(db.pool, DEFAULT_TOOL_SCHEMA, [2], 40_000, 'outage', false);
    await scheduleRetry(db.pool, DEFAULT_TOOL_SCHEMA, [], 1, 'never', true);
    const rows = await state();
    expect(rows.map((r) => [r.status, r.attempts, r.due_s])).toEqual([
      ['pending', 2, 20],
      ['pending', 0, 40],
      ['done', 0, -1],
    ]);
    expect(rows.map((r) => r.last_error?.length ?? null)).toEqual([2000, 6, null]);
    // Released, the transaction waits for its earliest due event, not for the lease.
    await releaseClaim(db.pool, DEFAULT_TOOL_SCHEMA, claimed!.id);
    expect(await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA)).toBeGreaterThan(19);
    expect(await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA)).toBeLessThanOrEqual(20);
    expect(await claim()).toBeNull();
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
        capturedAgo: 60,
      },
      { txid: 100, table: 'story', key: '6' },
      { txid: 101, status: 'done' },
    );
    await deadLetterEvents(db.pool, DEFAULT_TOOL_SCHEMA, [
      { seq: 1, reason: 'r'.repeat(2100), rule: 'nan', column: 'score' },
      { seq: 2, reason: 'too big' },
      { seq: 3, reason: 'already applied' },
    ]);
    await deadLetterEvents(db.pool, DEFAULT_TOOL_SCHEMA, []);
    expect(
      (await state()).map((r) => [r.status, r.attempts, r.last_error?.length, r.processed]),
    ).toEqual([
      ['dead', 4, 2000, true],
      ['dead', 1, 7, true],
      ['done', 0, undefined, false],
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
    expect(await outboxLag(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({ pending: 0, oldestPendingSeconds: 0 });
    expect(await outboxDrained(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(true);
    expect(await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(null);
    await insert(
      { txid: 110, status: 'done', capturedAgo: 500 },
      { txid: 111, capturedAgo: 90 },
      { txid: 112, capturedAgo: 10 },
    );
    const lag = await outboxLag(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(lag.pending).toBe(2);
    expect(Math.round(lag.oldestPendingSeconds)).toBe(90);
    expect(await outboxDrained(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(false);
    expect(await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(0);
    // An expired claim holds nothing back.
    await lease('dead-worker', [111, 112], -5);
    expect(await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(0);
    // Leased though due now: the lease decides (the later of two leases of one txid); a later due time would.
    await lease('w1', [111], 30);
    await lease('w2', [111, 112], 50);
    expect(Math.round((await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA))!)).toBe(50);
    await db.pool.query(
      `UPDATE tandem.outbox SET next_attempt_at = now() + interval '70 s' WHERE seq = 2`,
    );
    expect(Math.round((await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA))!)).toBe(50);
    await db.pool.query(
      `UPDATE tandem.outbox SET next_attempt_at = now() + interval '70 s' WHERE seq = 3`,
    );
    expect(Math.round((await secondsUntilNextClaimable(db.pool, DEFAULT_TOOL_SCHEMA))!)).toBe(70);
    // Leased events are still pending: not drained.
    expect(await outboxDrained(db.pool, DEFAULT_TOOL_SCHEMA)).toBe(false);
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
    expect(txShape(await appliedEvents(db.pool, DEFAULT_TOOL_SCHEMA, 't', 2))).toEqual([['121', [2, 4]]]);
    expect(txShape(await appliedEvents(db.pool, DEFAULT_TOOL_SCHEMA, 't', 10))).toEqual([
      ['120', [1]],
      ['121', [2, 4]],
    ]);
    expect(await appliedEvents(db.pool, DEFAULT_TOOL_SCHEMA, 'none', 10)).toEqual([]);
  });

  // Two connections holding transactions at once: PGlite serializes them (docs/architecture.md).
  // Registered on PostgreSQL only (a skipped [postgres] test fails CI's report).
  if (backend === 'postgres')
    it('leaves a transaction another claimer holds the advisory lock of, and claims nothing when it holds them all [postgres]', async () => {
      await insert({ txid: 130 }, { txid: 131 }, { txid: 131 }, { txid: 132 });
      const other: pg.PoolClient = await db.pool.connect();
      try {
        await other.query('BEGIN');
        // Another claimer mid-claim of txid 130: it holds the txid's advisory lock.
        await other.query('SELECT pg_advisory_xact_lock($1, 130)', [TXID_LOCK_CLASS]);
        expect(shape(await claim({ maxEvents: 1 }))).toBeNull();
        expect(await claimRows()).toEqual([]);
        expect(shape(await claim())).toEqual([
          ['131', [2, 3]],
          ['132', [4]],
        ]);
        expect((await claimRows()).map((c) => c.txids)).toEqual([['131', '132']]);
        await other.query('ROLLBACK');
      } finally {
        other.release();
      }
      expect(shape(await claim({ workerId: 'w2' }))).toEqual([['130', [1]]]);
    });

  // Registered on PostgreSQL only (a skipped [postgres] test fails CI's report).
  if (backend === 'postgres')
    it('relay claims wait for the one in progress; the fast path does not [postgres]', async () => {
      await insert({ txid: 140 }, { txid: 141 });
      const other: pg.PoolClient = await db.pool.connect();
      let relayClaim: Promise<Claim | null> | undefined;
      try {
        await other.query('BEGIN');
        // Another relay worker is claiming: it holds the relay claim lock.
        await other.query('SELECT pg_advisory_xact_lock($1, 0)', [RELAY_CLAIM_LOCK_CLASS]);
        let settled = false;
        relayClaim = claim().finally(() => {
          settled = true;
        });
        expect(shape(await claim({ workerId: 'mirror', txid: '141' }))).toEqual([['141', [2]]]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(settled).toBe(false);
        await other.query('COMMIT');
      } finally {
        other.release();
      }
      // Once the lock is free it claims what the fast path left.
      expect(shape(await relayClaim!)).toEqual([['140', [1]]]);
    });
});
