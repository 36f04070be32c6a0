/**
 * Shadow reads on a second application (the ledger: see shadowFixture.ts),
 * Postgres against Convex through the relay, on each backend:
 * - under live writes with the relay running, no difference is called drift;
 * - a change held in the outbox (relay stopped) is lag, re-checked and
 *   settled once the relay applies it;
 * - a change made behind capture (session_replication_role = replica) is drift,
 *   with both results sampled;
 * - A/A mode counts its own noise floor apart;
 * - every difference is counted, but samples are rate-limited per table and
 *   each stored result is cut at its cap;
 * - the report and the Prometheus counters agree.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadFlags } from '../../src/cutover/readFlags.js';
import { createCutoverMetrics } from '../../src/cutover/metrics.js';
import { Reader } from '../../src/cutover/reader.js';
import { setReadStage } from '../../src/cutover/flagStore.js';
import { ShadowRecorder, shadowReport } from '../../src/cutover/shadowStore.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { ACCOUNTS, startLedgerApp, type LedgerApp } from './shadowFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('shadow reads on the ledger [%s]', (backend) => {
  let db: TestDatabase;
  let app: LedgerApp;
  let flags: ReadFlags;
  let recorder: ShadowRecorder;
  let reader: Reader;
  const metrics = createCutoverMetrics(new Registry());

  const readAccounts = (keys: readonly string[], r: Reader = reader) =>
    r.read({
      name: 'accounts',
      tables: ['account'],
      user: { id: 1 },
      postgres: () => app.pgAccounts(keys),
      convex: () => app.convexAccounts(keys),
    });
  const counts = async () => {
    await reader.settled();
    const t = (await shadowReport(db.pool, DEFAULT_TOOL_SCHEMA, { samples: 5 })).tables.account!;
    return t;
  };

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    app = await startLedgerApp(db.pool);
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, ['account', 'entry'], { table: 'account', stage: 'shadow', why: 'test', actor: 'test' });
    flags = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool });
    recorder = new ShadowRecorder(db.pool, { tool: DEFAULT_TOOL_SCHEMA, samplesPerMinute: 1000 });
    reader = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db.pool, recorder, metrics, shadow: { recheckMs: 50, recheckAttempts: 100 } });
  }, 120_000);

  afterAll(async () => {
    await flags?.close();
    await recorder?.close();
    await app?.close();
    await db?.close();
  });

  it('serves Postgres in shadow and finds a clean mirror equal', async () => {
    const result = await readAccounts(ACCOUNTS.slice(0, 5));
    expect([result.source, result.decision, Object.keys(result.value)]).toEqual(['postgres', 'shadow', ACCOUNTS.slice(0, 5)]);
    const t = await counts();
    expect([t.compared, t.match, t.lag, t.drift, t.error]).toEqual([1, 1, 0, 0, 0]);
  });

  it('never calls in-flight changes drift under live writes', async () => {
    app.relay.start();
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        const code = ACCOUNTS[writes % ACCOUNTS.length]!;
        await db.pool.query('UPDATE ledger.account SET balance = balance + 1 WHERE code = $1', [code]);
        writes += 1;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let reads = 0;
    for (let i = 0; i < 60; i++) {
      await readAccounts([ACCOUNTS[i % ACCOUNTS.length]!, ACCOUNTS[(i * 7) % ACCOUNTS.length]!]);
      reads += 1;
    }
    writing = false;
    await writer;
    const t = await counts();
    expect(writes).toBeGreaterThan(5);
    expect([t.compared, t.drift, t.error, t.match + t.lag]).toEqual([1 + reads, 0, 0, 1 + reads]);
  }, 120_000);

  it('a change held in the outbox is lag, settled once the relay applies it', async () => {
    await app.relay.stop();
    const before = await counts();
    await db.pool.query(`UPDATE ledger.account SET holder = 'Renamed' WHERE code = 'ACC-03'`);
    const read = readAccounts(['ACC-03']);
    expect(Object.values((await read).value).map((r) => (r as { holder: string }).holder)).toEqual(['Renamed']);
    // The difference waits for the outbox; the relay applies it a little later.
    setTimeout(() => app.relay.start(), 300);
    const t = await counts();
    expect([t.lag - before.lag, t.drift, t.error]).toEqual([1, 0, 0]);
    expect(t.samples[0]).toMatchObject({ class: 'lag', read: 'accounts', detail: expect.stringMatching(/^changes in flight; equal after \d+ re-check/) });
  }, 60_000);

  it('a change made behind capture is drift, sampled with both results', async () => {
    await app.relay.drain();
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`UPDATE ledger.account SET balance = 0 WHERE code = 'ACC-07'`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const before = await counts();
    await readAccounts(['ACC-07', 'ACC-08']);
    const t = await counts();
    expect([t.drift - before.drift, t.lag - before.lag, t.error]).toEqual([1, 0, 0]);
    const sample = t.samples.find((s) => s.class === 'drift')!;
    expect(sample.detail).toMatch(/^(differs with no change in flight|still differs after the changes in flight settled)/);
    expect(JSON.parse(sample.postgres!)['ACC-07'].balance).toBe('0');
    expect(JSON.parse(sample.convex!)['ACC-07'].balance).not.toBe('0');
    // The Prometheus counters say the same.
    const drift = (await metrics.registry.getSingleMetric('tandem_shadow_reads_total')!.get()).values.find(
      (v) => v.labels.table === 'account' && v.labels.class === 'drift',
    );
    expect(drift?.value).toBe(1);
  }, 60_000);

  it('a failing Convex read is an error and never fails the user read', async () => {
    const failing = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db.pool, recorder, metrics, shadow: { timeoutMs: 200 } });
    const before = await counts();
    const results = await Promise.all([
      failing.read({ tables: ['account'], postgres: () => app.pgAccounts(['ACC-01']), convex: () => Promise.reject(new Error('convex down')) }),
      failing.read({ tables: ['account'], postgres: () => app.pgAccounts(['ACC-01']), convex: () => new Promise(() => undefined) }),
    ]);
    expect(results.map((r) => [r.source, Object.keys(r.value as object)])).toEqual([['postgres', ['ACC-01']], ['postgres', ['ACC-01']]]);
    await failing.settled();
    const t = await counts();
    expect(t.error - before.error).toBe(2);
    expect(t.samples.filter((s) => s.class === 'error').map((s) => s.detail).sort()).toEqual(['convex down', 'timed out after 200 ms']);
  }, 60_000);

  it('reports reads skipped because too many comparisons were under way, apart from the compared ones', async () => {
    const capped = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db.pool, recorder, shadow: { maxInFlight: 2, timeoutMs: 100 } });
    const before = await counts();
    for (let i = 0; i < 5; i++)
      await capped.read({ tables: ['account'], postgres: () => app.pgAccounts(['ACC-01']), convex: () => new Promise(() => undefined) });
    await capped.settled();
    const t = await counts();
    expect([t.skipped - before.skipped, t.error - before.error, t.compared - before.compared]).toEqual([3, 2, 2]);
  }, 60_000);

  it('A/A mode compares Postgres with itself and is reported apart', async () => {
    const aa = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db.pool, recorder, shadow: { mode: 'aa' } });
    for (let i = 0; i < 5; i++) await readAccounts(ACCOUNTS.slice(i, i + 3), aa);
    await aa.settled();
    const report = await shadowReport(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(report.aa.account).toMatchObject({ compared: 5, match: 5, lag: 0, drift: 0, error: 0 });
  }, 60_000);

  it('keeps every count but only samplesPerMinute samples per table, each result cut at maxResultChars', async () => {
    const capped = new ShadowRecorder(db.pool, { tool: DEFAULT_TOOL_SCHEMA, samplesPerMinute: 2, maxResultChars: 100 });
    try {
      const big = { rows: 'x'.repeat(500) };
      const text = JSON.stringify(big);
      for (let i = 0; i < 5; i++)
        capped.record({ mode: 'ab', class: 'drift', read: 'capped', tables: ['capped_table'], postgres: big, convex: { rows: i } });
      await capped.flush();
      const report = await shadowReport(db.pool, DEFAULT_TOOL_SCHEMA, { samples: 10 });
      expect(report.tables.capped_table).toMatchObject({ compared: 5, drift: 5 });
      const { rows } = await db.pool.query(
        `SELECT postgres_result, convex_result FROM ${DEFAULT_TOOL_SCHEMA.sql}.shadow_sample WHERE read_name = 'capped' ORDER BY id`,
      );
      expect(rows).toEqual([
        { postgres_result: `${text.slice(0, 100)}… (${text.length} chars, cut)`, convex_result: '{"rows":0}' },
        { postgres_result: `${text.slice(0, 100)}… (${text.length} chars, cut)`, convex_result: '{"rows":1}' },
      ]);
    } finally {
      await capped.close();
    }
  }, 60_000);
});
