/**
 * Shadow reads with a stated tolerance (a read's `compare` hook) on a second
 * application, the ledger: a read of the accounts' count and total balance,
 * whose writes each move the total by at most 1. With the relay stopped,
 * changes stay in flight and nothing ever settles:
 * - a difference the changes in flight explain is lag at once (the exact
 *   comparison can only leave it undecided);
 * - a difference beyond the tolerance (a change made behind capture) is drift
 *   even while changes are in flight, where the exact comparison says lag.
 * The hook is passed per method through routedReads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setReadStage } from '../../src/cutover/flagStore.js';
import { ReadFlags } from '../../src/cutover/readFlags.js';
import { Reader, routedReads } from '../../src/cutover/reader.js';
import type { ShadowComparator } from '../../src/cutover/shadowClassify.js';
import { ShadowRecorder, shadowReport } from '../../src/cutover/shadowStore.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { ACCOUNTS, startLedgerApp, type LedgerApp } from './shadowFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
/** Changes applied this recently before a read still count as in flight. */
const MARGIN_MS = 200;
/** Stops the relay, and waits until what it applied is older than the margin: what is in flight is then what the test writes. */
const stopRelay = async (app: LedgerApp) => {
  await app.relay.stop();
  await new Promise((r) => setTimeout(r, MARGIN_MS * 2));
};

interface Totals {
  accounts: number;
  balance: number;
}

const totalsOf = (rows: Record<string, unknown>): Totals => ({
  accounts: Object.keys(rows).length,
  balance: Object.values(rows).reduce<number>((sum, r) => sum + Number((r as { balance: unknown }).balance), 0),
});

/** The ledger's stated tolerance: one change moves the count by at most 1 and the total by at most 1. */
const withinInFlight: ShadowComparator<Totals> = (pg, cx, { changesInFlight: n }) => {
  const off = [
    Math.abs(pg.accounts - cx.accounts) > n ? `accounts ${pg.accounts} vs ${cx.accounts}` : null,
    Math.abs(pg.balance - cx.balance) > n ? `balance ${pg.balance} vs ${cx.balance} (allowed ±${n})` : null,
  ].filter((d) => d !== null);
  return off.length === 0 ? { ok: true } : { ok: false, detail: off.join(', ') };
};

describe.each(backends)('shadow reads with a stated tolerance on the ledger [%s]', (backend) => {
  let db: TestDatabase;
  let app: LedgerApp;
  let flags: ReadFlags;
  let recorder: ShadowRecorder;
  let reader: Reader;
  let routes: ReturnType<typeof routedReads<{ totals: () => Promise<Totals> }, { id: number }>>;

  /** The same read without the hook: the exact comparison. */
  const exactRead = () =>
    reader.read({
      name: 'totals-exact',
      tables: ['account'],
      user: { id: 1 },
      postgres: async () => totalsOf(await app.pgAccounts(ACCOUNTS)),
      convex: async () => totalsOf(await app.convexAccounts(ACCOUNTS)),
    });
  const newestSample = async (read: string) => {
    await reader.settled();
    const samples = (await shadowReport(db.pool, DEFAULT_TOOL_SCHEMA, { samples: 20 })).tables.account!.samples;
    return samples.find((s) => s.read === read)!;
  };
  const counts = async () => {
    await reader.settled();
    const t = (await shadowReport(db.pool, DEFAULT_TOOL_SCHEMA)).tables.account;
    return { match: t?.match ?? 0, lag: t?.lag ?? 0, drift: t?.drift ?? 0, error: t?.error ?? 0 };
  };
  const deposit = async (code: string) =>
    db.pool.query('UPDATE ledger.account SET balance = balance + 1 WHERE code = $1', [code]);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    app = await startLedgerApp(db.pool);
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, ['account', 'entry'], { table: 'account', stage: 'shadow', why: 'test', actor: 'test' });
    flags = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, instance: false });
    recorder = new ShadowRecorder(db.pool, { tool: DEFAULT_TOOL_SCHEMA, samplesPerMinute: 1000 });
    reader = new Reader({ tool: DEFAULT_TOOL_SCHEMA,
      flags,
      pool: db.pool,
      recorder,
      shadow: { recheckMs: 30, recheckAttempts: 3, inFlightMarginMs: MARGIN_MS },
    });
    routes = routedReads(reader, {
      postgres: { totals: async () => totalsOf(await app.pgAccounts(ACCOUNTS)) },
      convex: { totals: async () => totalsOf(await app.convexAccounts(ACCOUNTS)) },
      tables: { totals: ['account'] },
      compare: { totals: withinInFlight },
    });
  }, 120_000);

  afterAll(async () => {
    await flags?.close();
    await recorder?.close();
    await app?.close();
    await db?.close();
  });

  it('a difference the changes in flight explain is lag at once; the exact comparison leaves it undecided', async () => {
    await stopRelay(app);
    for (const code of ACCOUNTS.slice(0, 5)) await deposit(code);
    const before = await counts();
    const served = await routes({ user: { id: 1 } }).totals();
    expect(served).toEqual({ accounts: 20, balance: 20 * 100.5 + 5 });
    expect(await newestSample('totals')).toMatchObject({
      class: 'lag',
      detail: 'within the stated tolerance for 5 change(s) in flight',
    });
    await exactRead();
    expect(await newestSample('totals-exact')).toMatchObject({
      class: 'lag',
      detail: 'changes still in flight after 3 re-checks',
    });
    const after = await counts();
    expect([after.lag - before.lag, after.drift - before.drift, after.error]).toEqual([2, 0, 0]);
  });

  it('with nothing in flight, an equal read is a match', async () => {
    await app.relay.drain();
    const before = await counts();
    await routes({ user: { id: 1 } }).totals();
    const after = await counts();
    expect([after.match - before.match, after.lag - before.lag, after.drift - before.drift]).toEqual([1, 0, 0]);
  });

  it('a difference beyond the tolerance is drift while changes are in flight; the exact comparison calls it lag', async () => {
    await stopRelay(app);
    // Behind capture: Convex never hears of it.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`UPDATE ledger.account SET balance = balance + 1000 WHERE code = 'ACC-07'`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    for (const code of ACCOUNTS.slice(0, 3)) await deposit(code);
    const before = await counts();
    await routes({ user: { id: 1 } }).totals();
    expect(await newestSample('totals')).toMatchObject({
      class: 'drift',
      detail: `beyond the stated tolerance for 3 change(s) in flight after 3 re-check(s): balance ${20 * 100.5 + 5 + 1003} vs ${20 * 100.5 + 5} (allowed ±3)`,
    });
    await exactRead();
    expect(await newestSample('totals-exact')).toMatchObject({ class: 'lag' });
    const after = await counts();
    expect([after.drift - before.drift, after.lag - before.lag]).toEqual([1, 1]);
  });
});
