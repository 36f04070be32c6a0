/**
 * Automatic rollback on the ledger (a second application): Convex read
 * failures (a failing target) and outbox lag (the relay stopped) set the table
 * back to postgres within a second, audited with the rule and the values; a
 * rule trips only after its breach has lasted `for` over at least minSamples reads;
 * nothing moves a table forward; the config section is validated with errors
 * naming the file and the key.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { TargetUnavailableError } from '../../src/core/errors.js';
import { AutoRollback } from '../../src/cutover/autoRollback.js';
import { readStageHistory, setReadStage } from '../../src/cutover/flagStore.js';
import { createCutoverMetrics } from '../../src/cutover/metrics.js';
import { ReadFlags } from '../../src/cutover/readFlags.js';
import { Reader } from '../../src/cutover/reader.js';
import { ReadStats } from '../../src/cutover/readStats.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { waitFor } from './waitFor.js';
import { startLedgerApp, type LedgerApp } from './shadowFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const TABLES = ['account', 'entry'];

describe.each(backends)('automatic rollback on the ledger [%s]', (backend) => {
  let db: TestDatabase;
  let app: LedgerApp;
  let flags: ReadFlags;
  const metrics = createCutoverMetrics(new Registry());
  const stats = new ReadStats(60_000);
  let convexDown = false;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    app = await startLedgerApp(db.pool);
    flags = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool });
  }, 120_000);
  afterAll(async () => {
    await flags?.close();
    await app?.close();
    await db?.close();
  });

  const monitorFor = (config: object) =>
    new AutoRollback({ tool: DEFAULT_TOOL_SCHEMA,
      pool: db.pool,
      flags,
      stats,
      metrics,
      tables: TABLES,
      policy: parseProjectConfig({ cutover: { rollback: config } }, 'tandem.config.json').cutover.rollback,
    });

  it('Convex read failures past the threshold roll the table back within a second', async () => {
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { table: 'account', stage: 'convex', force: true, why: 'go', actor: 'test' });
    await flags.refresh();
    const reader = new Reader({ tool: DEFAULT_TOOL_SCHEMA, flags, pool: db.pool, stats, metrics });
    const monitor = monitorFor({ tables: { account: { convexReadErrorRate: { threshold: 0.5, for: '200ms', minSamples: 5 } } } });
    monitor.start();
    try {
      const read = () =>
        reader.read({
          tables: ['account'],
          user: { id: 1 },
          postgres: () => app.pgAccounts(['ACC-01']),
          convex: async () => {
            if (convexDown) throw new TargetUnavailableError('injected: convex unreachable');
            return app.convexAccounts(['ACC-01']);
          },
        });
      for (let i = 0; i < 5; i++) expect((await read()).source).toBe('convex');
      convexDown = true;
      const answers = [];
      for (let i = 0; i < 10; i++) answers.push(await read());
      // Every failed read was still answered, from Postgres.
      expect(answers.every((a) => a.source === 'postgres' && Object.keys(a.value as object)[0] === 'ACC-01')).toBe(true);
      await waitFor(() => flags.stageOf('account').stage === 'postgres', 1500, 'account rolled back');
      const last = (await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'account')).at(-1)!;
      expect([last.from.stage, last.to.stage, last.rule, last.actor]).toEqual(['convex', 'postgres', 'convexReadErrorRate', 'tandem auto-rollback']);
      expect(last.detail).toMatchObject({ threshold: 0.5, forMs: 200, samples: 15 });
      expect(last.detail!.value).toBeCloseTo(10 / 15, 5);
      const counted = (await metrics.registry.getSingleMetric('tandem_read_rollbacks_total')!.get()).values;
      expect(counted.map((v) => [v.labels.table, v.labels.rule, v.value])).toEqual([['account', 'convexReadErrorRate', 1]]);
      // Convex recovers: nothing moves the table forward again.
      convexDown = false;
      await new Promise((r) => setTimeout(r, 600));
      expect(flags.stageOf('account').stage).toBe('postgres');
      expect((await read()).source).toBe('postgres');
    } finally {
      await monitor.stop();
    }
  }, 60_000);

  it('outbox lag past the threshold rolls the table back; the rule and values are audited', async () => {
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { table: 'entry', stage: 'shadow', why: 'go', actor: 'test' });
    await flags.refresh();
    const monitor = monitorFor({ default: { outboxLagSeconds: { threshold: 0.3, for: 0 } } });
    expect(await monitor.tick()).toEqual([]);
    await db.pool.query(`UPDATE ledger.entry SET memo = 'held' WHERE account_code = 'ACC-01'`);
    let trips: Awaited<ReturnType<AutoRollback['tick']>> = [];
    const end = Date.now() + 3000;
    while (trips.length === 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      trips = await monitor.tick();
    }
    expect(trips.map((t) => [t.table, t.rule, t.change?.to.stage])).toEqual([['entry', 'outboxLagSeconds', 'postgres']]);
    expect(trips[0]!.observed.value).toBeGreaterThan(0.3);
    expect(flags.stageOf('entry').stage).toBe('postgres');
    expect((await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'entry')).at(-1)).toMatchObject({ rule: 'outboxLagSeconds', detail: { threshold: 0.3 } });
    await app.relay.drain();
  }, 60_000);

  it('trips only after a breach has lasted its `for`, with the window holding minSamples reads; a breach that clears starts over', async () => {
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { table: 'account', stage: 'convex', force: true, why: 'again', actor: 'test' });
    await flags.refresh();
    let clock = 1_000_000;
    const own = new ReadStats(60_000);
    const monitor = new AutoRollback({ tool: DEFAULT_TOOL_SCHEMA,
      pool: db.pool,
      flags,
      stats: own,
      tables: TABLES,
      now: () => clock,
      policy: parseProjectConfig(
        { cutover: { rollback: { tables: { account: { convexReadErrorRate: { threshold: 0.5, for: '10s', minSamples: 4 } } } } } },
        'tandem.config.json',
      ).cutover.rollback,
    });
    const reads = (n: number, failed: number) => {
      own.add(['account'], 'convexReads', n);
      own.add(['account'], 'convexErrors', failed);
    };
    const tickAfter = async (ms: number) => {
      clock += ms;
      return (await monitor.tick()).map((t) => [t.table, t.rule, t.change?.to.stage]);
    };
    reads(3, 3); // every read failed, but 3 reads are fewer than minSamples: never a breach, however long
    expect(await tickAfter(0)).toEqual([]);
    expect(await tickAfter(60_000)).toEqual([]);
    reads(1, 1); // 4 of 4 failed: breached from now
    expect(await tickAfter(0)).toEqual([]);
    expect(await tickAfter(9_000)).toEqual([]);
    reads(10, 0); // 4 of 14: the breach clears
    expect(await tickAfter(0)).toEqual([]);
    reads(10, 10); // 14 of 24: breached again, counted from now, not from the first breach
    expect(await tickAfter(0)).toEqual([]);
    expect(await tickAfter(9_999)).toEqual([]);
    expect(flags.stageOf('account').stage).toBe('convex');
    expect(await tickAfter(1)).toEqual([['account', 'convexReadErrorRate', 'postgres']]);
    expect(flags.stageOf('account').stage).toBe('postgres');
  }, 60_000);
});

describe('cutover config', () => {
  it('resolves durations and defaults', () => {
    const c = parseProjectConfig({ cutover: { rollback: { default: { deadLetters: { threshold: 0, for: '2m' } }, windowSeconds: 30 } } }, 'f.json');
    expect(c.cutover.rollback).toEqual({ default: { deadLetters: { threshold: 0, forMs: 120_000, minSamples: 10 } }, tables: {}, windowSeconds: 30 });
    expect(parseProjectConfig({}, null).cutover.rollback).toEqual({ default: {}, tables: {}, windowSeconds: 60 });
  });

  it('names the file and the key of a bad setting', () => {
    const bad: Array<[object, string]> = [
      [{ cutover: { rollback: { default: { lagg: { threshold: 1 } } } } }, 'f.json: cutover.rollback.default: unknown key "lagg"'],
      [{ cutover: { rollback: { tables: { account: { deadLetters: { threshold: 1, for: 'soon' } } } } } }, 'f.json: cutover.rollback.tables.account.deadLetters.for'],
      [{ cutover: { rollback: { default: { outboxLagSeconds: { threshold: -1 } } } } }, 'f.json: cutover.rollback.default.outboxLagSeconds.threshold: must be >= 0'],
    ];
    for (const [value, message] of bad) expect(() => parseProjectConfig(value, 'f.json')).toThrow(message);
  });

  it('reads the shadow settings, and names a share outside 0–1 or an unknown shadow key', () => {
    const shadow = { mode: 'aa', waitMs: 5, timeoutMs: 500, sampleRate: 0.5, maxPerSecond: 2.5, maxShare: 0.005, maxInFlight: 40, sampleRates: { storyById: 0.1 } } as const;
    expect(parseProjectConfig({ cutover: { shadow } }, 'f.json').cutover.shadow).toEqual(shadow);
    expect(parseProjectConfig({}, null).cutover.shadow).toEqual({ sampleRates: {} });
    const bad: Array<[object, string]> = [
      [{ cutover: { shadow: { sampleRate: 1.5 } } }, 'f.json: cutover.shadow.sampleRate: must be a share of reads from 0 to 1'],
      [{ cutover: { shadow: { sampleRates: { storyById: -0.1 } } } }, 'f.json: cutover.shadow.sampleRates.storyById: must be a share of reads from 0 to 1'],
      [{ cutover: { shadow: { mode: 'ba' } } }, 'f.json: cutover.shadow.mode'],
      [{ cutover: { shadow: { maxPerSecond: 0 } } }, 'f.json: cutover.shadow.maxPerSecond: must be a positive number of comparisons per second'],
      [{ cutover: { shadow: { maxShare: 0 } } }, 'f.json: cutover.shadow.maxShare: must be a share of reads above 0 and at most 1'],
      [{ cutover: { shadow: { maxShare: 2 } } }, 'f.json: cutover.shadow.maxShare: must be a share of reads above 0 and at most 1'],
      [{ cutover: { shadow: { maxInFlight: 2.5 } } }, 'f.json: cutover.shadow.maxInFlight'],
      [{ cutover: { shadow: { sampleRatio: 0.5 } } }, 'f.json: cutover.shadow: unknown key "sampleRatio"'],
    ];
    for (const [value, message] of bad) expect(() => parseProjectConfig(value, 'f.json')).toThrow(message);
  });

  it('refuses rules for a table that is not mirrored', () => {
    expect(
      () =>
        new AutoRollback({ tool: DEFAULT_TOOL_SCHEMA,
          pool: null as never,
          flags: { stageOf: () => ({ stage: 'postgres', percent: 0, salt: '' }), refresh: async () => undefined },
          stats: new ReadStats(),
          tables: ['account'],
          policy: parseProjectConfig({ cutover: { rollback: { tables: { acount: {} } } } }, null).cutover.rollback,
        }),
    ).toThrow('cutover.rollback.tables.acount: not a mirrored table (known: account)');
  });
});
