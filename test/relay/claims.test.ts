/**
 * Claims (src/outbox/outboxStore.ts): one tandem.relay_claim row leases whole
 * Postgres transactions, and no outbox row is written to claim it. A leased
 * transaction is not claimed again, neither by a relay worker nor by the
 * mirror helper's fast path, until the claim is released or its lease
 * expires; what was done meanwhile is not claimed at all. Events are put in
 * the outbox directly (no application schema), txids made up.
 */
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TransactionBatch } from '../../src/core/changes.js';
import { silentLogger } from '../../src/log.js';
import { migrate } from '../../src/postgres/migrate.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import type { ApplyTarget } from '../../src/relay/applyClaimed.js';
import { Relay, type RelayOptions } from '../../src/relay/relay.js';
import { claimTransactions, completeEvents, releaseClaim, type Claim } from '../../src/outbox/outboxStore.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('relay claims [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  });
  beforeEach(async () => {
    await db.pool.query('TRUNCATE tandem.outbox, tandem.relay_claim');
    // Three transactions of two events each, on a table of any name: txids 101, 102, 103.
    await db.pool.query(
      `INSERT INTO tandem.outbox (txid, table_name, key, op, "row")
       SELECT (100 + t)::text::xid8, 'rental', (t * 10 + e)::text, 'insert', jsonb_build_object('id', t * 10 + e)
         FROM generate_series(1, 3) t, generate_series(1, 2) e ORDER BY t, e`,
    );
  });
  afterAll(() => db?.close());

  const claim = (workerId: string, maxEvents: number, extra: { txid?: string; leaseMs?: number } = {}) =>
    claimTransactions(db.pool, DEFAULT_TOOL_SCHEMA, { workerId, maxEvents, leaseMs: extra.leaseMs ?? 60_000, txid: extra.txid });
  const txids = (c: Claim | null) => c?.transactions.map((t) => t.txid) ?? [];
  const keys = (c: Claim | null) => c?.transactions.flatMap((t) => t.events.map((e) => e.key)) ?? [];
  /** A relay on `pool` whose mapper passes each event's row through and whose Convex target is `applyBatch`. */
  const passThroughRelay = (pool: pg.Pool, applyBatch: ApplyTarget['applyBatch'], options: Partial<RelayOptions> = {}) =>
    new Relay(
      {
        tool: DEFAULT_TOOL_SCHEMA,
        pool,
        target: { applyBatch },
        mapper: {
          map: (event) => ({
            change: { table: event.table, key: event.key, version: event.seq, op: 'upsert', doc: event.row ?? {} },
            bytes: 16,
            indexRanges: 1,
          }),
        },
        metrics: createRelayMetrics(),
        log: silentLogger,
      },
      options,
    );

  it('leases whole transactions in one claim row and writes no outbox row', async () => {
    const { rows: before } = await db.pool.query('SELECT xmin::text, seq FROM tandem.outbox ORDER BY seq');
    // Three events from the head: the second transaction is taken whole.
    const first = await claim('w1', 3);
    expect(txids(first)).toEqual(['101', '102']);
    expect(keys(first)).toEqual(['11', '12', '21', '22']);
    const { rows: claims } = await db.pool.query('SELECT leased_by, txids::text[] AS txids FROM tandem.relay_claim');
    expect(claims).toEqual([{ leased_by: 'w1', txids: ['101', '102'] }]);
    // The outbox rows are the very same row versions as before the claim.
    const { rows: after } = await db.pool.query('SELECT xmin::text, seq FROM tandem.outbox ORDER BY seq');
    expect(after).toEqual(before);
  });

  it('a leased transaction is claimed by nobody else, the fast path included, until its claim is released', async () => {
    const first = await claim('w1', 2);
    expect(txids(first)).toEqual(['101']);
    expect(txids(await claim('w2', 100))).toEqual(['102', '103']);
    expect(await claim('w3', 100)).toBeNull();
    expect(await claim('mirror', 100, { txid: '101' })).toBeNull();
    // Released with one event done: only the other one is claimable again.
    await completeEvents(db.pool, DEFAULT_TOOL_SCHEMA, [first!.transactions[0]!.events[0]!.seq]);
    await releaseClaim(db.pool, DEFAULT_TOOL_SCHEMA, first!.id);
    const again = await claim('mirror', 100, { txid: '101' });
    expect(keys(again)).toEqual(['12']);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM tandem.relay_claim');
    expect(rows[0].n).toBe(2);
  });

  it('a transaction the fast path leased is left out of relay claims', async () => {
    expect(txids(await claim('mirror', 100, { txid: '102' }))).toEqual(['102']);
    expect(txids(await claim('w1', 100))).toEqual(['101', '103']);
  });

  it('an expired lease (its worker died) makes the transactions claimable again, and its row is cleared', async () => {
    const dead = await claim('dead', 100, { leaseMs: 1 });
    expect(txids(dead)).toEqual(['101', '102', '103']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const taken = await claim('w1', 100);
    expect(txids(taken)).toEqual(['101', '102', '103']);
    const { rows } = await db.pool.query('SELECT leased_by FROM tandem.relay_claim');
    expect(rows).toEqual([{ leased_by: 'w1' }]);
  });

  it('completing with the claim ends its lease in the same statement; the other claims stay', async () => {
    const first = await claim('w1', 2);
    const second = await claim('w2', 100);
    await completeEvents(db.pool, DEFAULT_TOOL_SCHEMA, [first!.transactions[0]!.events[0]!.seq], first!.id);
    const { rows: claims } = await db.pool.query('SELECT id::text FROM tandem.relay_claim');
    expect(claims).toEqual([{ id: second!.id }]);
    const { rows: events } = await db.pool.query(`SELECT key, status FROM tandem.outbox WHERE txid = '101' ORDER BY seq`);
    expect(events).toEqual([
      { key: '11', status: 'done' },
      { key: '12', status: 'pending' },
    ]);
    // Its lease ended: the event left pending is claimable again.
    expect(keys(await claim('w3', 100))).toEqual(['12']);
  });

  it('a relay round of one Convex call is three statements: claim, read its events, complete and release together', async () => {
    const statements: string[] = [];
    const recorded = new Proxy(db.pool, {
      get: (target, prop, receiver) =>
        prop === 'query'
          ? (text: string, values?: unknown[]) => {
              statements.push(text);
              return target.query(text, values);
            }
          : Reflect.get(target, prop, receiver),
    }) as pg.Pool;
    const calls: TransactionBatch[][] = [];
    const relay = passThroughRelay(recorded, async (batches) => {
      calls.push(batches);
      return { applied: batches.length, skipped: 0 };
    });
    const outcome = await relay.round('w1');
    expect(outcome).toMatchObject({ applied: 6, retried: 0, dead: 0, released: true });
    expect(calls.map((call) => call.map((b) => b.txid))).toEqual([['101', '102', '103']]);
    const kind = (sql: string) =>
      /claim_transactions\(/.test(sql) ? 'claim' : /complete_claim\(/.test(sql) ? 'complete' : /FROM "?tandem"?\.outbox/.test(sql) ? 'read' : sql;
    expect(statements.map(kind)).toEqual(['claim', 'read', 'complete']);
    const { rows } = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM tandem.outbox WHERE status = 'done') AS done,
              (SELECT count(*)::int FROM tandem.relay_claim) AS claims`,
    );
    expect(rows[0]).toEqual({ done: 6, claims: 0 });
  });

  it('a draining worker that found everything in a sibling\'s claim wakes when that round ends, not when the lease could expire', async () => {
    // Two workers, one claim takes all three transactions: the other worker
    // finds nothing claimable and goes idle until the claim's lease could
    // expire (10 minutes, capped by maxIdleMs, also 10 minutes). The claimed
    // round's Convex call waits until that worker is idle, so the drain can
    // only end promptly if the round's end wakes it.
    let idle!: () => void;
    const wentIdle = new Promise<void>((resolve) => (idle = resolve));
    const watched = new Proxy(db.pool, {
      get: (target, prop, receiver) =>
        prop === 'query'
          ? async (text: string, values?: unknown[]) => {
              const result = await target.query(text, values);
              // The idle worker's last statement before it sleeps: when is the next event claimable?
              if (/min\(greatest\(/.test(text)) idle();
              return result;
            }
          : Reflect.get(target, prop, receiver),
    }) as pg.Pool;
    const relay = passThroughRelay(
      watched,
      async (batches) => {
        await wentIdle;
        return { applied: batches.length, skipped: 0 };
      },
      { workers: 2, claimEvents: 100, leaseMs: 600_000, maxIdleMs: 600_000 },
    );
    const drained = relay.drain();
    let timer: NodeJS.Timeout | undefined;
    const asleep = new Promise<'still asleep'>((resolve) => (timer = setTimeout(() => resolve('still asleep'), 30_000)));
    try {
      expect(await Promise.race([drained, asleep])).toEqual({ applied: 6, retried: 0, dead: 0 });
    } finally {
      clearTimeout(timer);
    }
    const { rows } = await db.pool.query(`SELECT count(*)::int AS pending FROM tandem.outbox WHERE status = 'pending'`);
    expect(rows[0]).toEqual({ pending: 0 });
  });

  describe('a round of several calls', () => {
    /** A relay packing one transaction (two events) per call, on a pool that can hold back each complete_claim. */
    function pipelinedRelay(options: {
      apply: (txid: string) => Promise<void>;
      beforeComplete: (nth: number) => Promise<void>;
      statements: string[];
    }) {
      let completes = 0;
      const pool = new Proxy(db.pool, {
        get: (target, prop, receiver) =>
          prop === 'query'
            ? async (text: string, values?: unknown[]) => {
                if (/complete_claim\(/.test(text)) {
                  const nth = ++completes;
                  await options.beforeComplete(nth);
                  options.statements.push(`complete ${JSON.stringify(values)}`);
                } else if (/claim_transactions\(/.test(text)) options.statements.push('claim');
                else options.statements.push('read');
                return target.query(text, values);
              }
            : Reflect.get(target, prop, receiver),
      }) as pg.Pool;
      return passThroughRelay(
        pool,
        async (batches) => {
          await options.apply(batches[0]!.txid);
          if (batches[0]!.txid === '102' && failSecond) throw new Error('the function threw for this payload');
          return { applied: batches.length, skipped: 0 };
        },
        { packing: { maxChanges: 2, maxBytes: 1 << 20, maxIndexRanges: 100 } },
      );
    }
    let failSecond = false;
    beforeEach(() => {
      failSecond = false;
    });
    const states = async () =>
      (
        await db.pool.query<{ txid: string; status: string; attempts: number }>(
          `SELECT txid::text AS txid, status, attempts FROM tandem.outbox ORDER BY seq`,
        )
      ).rows;

    it("marks a call's events done while the next call is in flight, in call order, releasing the claim last", async () => {
      // The first completion is held until the second call has started: a
      // round that waited for each completion before its next call would
      // never get there.
      let secondCallStarted!: () => void;
      const started = new Promise<void>((resolve) => (secondCallStarted = resolve));
      const statements: string[] = [];
      const relay = pipelinedRelay({
        statements,
        apply: async (txid) => {
          if (txid === '102') secondCallStarted();
        },
        beforeComplete: async (nth) => {
          if (nth === 1) await started;
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), 30_000)));
      try {
        expect(await Promise.race([relay.round('w1'), stuck])).toMatchObject({ applied: 6, retried: 0, dead: 0, released: true });
      } finally {
        clearTimeout(timer);
      }
      const { rows: seqs } = await db.pool.query<{ seq: string }>('SELECT seq::text FROM tandem.outbox ORDER BY seq');
      const s = seqs.map((r) => Number(r.seq));
      const claimId = statements.at(-1)!.match(/,"(\d+)"\]$/)?.[1];
      expect(statements).toEqual([
        'claim',
        'read',
        `complete ${JSON.stringify([[s[0], s[1]], null])}`,
        `complete ${JSON.stringify([[s[2], s[3]], null])}`,
        `complete ${JSON.stringify([[s[4], s[5]], claimId])}`,
      ]);
      expect(claimId).toBeDefined();
      expect((await states()).map((r) => r.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
      expect((await db.pool.query('SELECT count(*)::int AS n FROM tandem.relay_claim')).rows[0]).toEqual({ n: 0 });
    });

    it('a call that fails while an earlier completion is in flight: each outcome is recorded, then the claim is released', async () => {
      failSecond = true;
      let secondCallDone!: () => void;
      const done = new Promise<void>((resolve) => (secondCallDone = resolve));
      const statements: string[] = [];
      const relay = pipelinedRelay({
        statements,
        apply: async (txid) => {
          if (txid === '102') setImmediate(secondCallDone);
        },
        beforeComplete: async (nth) => {
          if (nth === 1) await done;
        },
      });
      expect(await relay.round('w1')).toMatchObject({ applied: 4, retried: 2, dead: 0, released: true });
      expect(await states()).toEqual([
        { txid: '101', status: 'done', attempts: 0 },
        { txid: '101', status: 'done', attempts: 0 },
        { txid: '102', status: 'pending', attempts: 1 },
        { txid: '102', status: 'pending', attempts: 1 },
        { txid: '103', status: 'done', attempts: 0 },
        { txid: '103', status: 'done', attempts: 0 },
      ]);
      expect((await db.pool.query('SELECT count(*)::int AS n FROM tandem.relay_claim')).rows[0]).toEqual({ n: 0 });
    });

    it('a completion that fails fails the round: no later completion runs, and the claim is given back only after', async () => {
      const statements: string[] = [];
      const relay = pipelinedRelay({
        statements,
        apply: async () => undefined,
        beforeComplete: async (nth) => {
          if (nth === 1) throw new Error('connection reset during the first completion');
        },
      });
      await expect(relay.round('w1')).rejects.toThrow('connection reset during the first completion');
      // The round's own release (complete_claim with no events) is the only completion after the failed one.
      expect(statements.slice(2).map((s) => s.replace(/"\d+"/, 'id'))).toEqual(['complete [[],id]']);
      expect((await states()).map((r) => r.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'pending']);
      expect((await db.pool.query('SELECT count(*)::int AS n FROM tandem.relay_claim')).rows[0]).toEqual({ n: 0 });
    });
  });
});
