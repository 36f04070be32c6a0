/**
 * A server stopping does not lose the shadow comparisons of the last reads it
 * served: the recorder's close() waits for the comparisons under way (up to
 * `closeWaitMs`) and writes their outcomes; one still running past the bound
 * is logged and not waited for; one re-checking a difference stops at its
 * next re-check instead of querying the pool the server then ends.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reader } from '../../src/cutover/reader.js';
import { ShadowRecorder, shadowReport } from '../../src/cutover/shadowStore.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();

describe.each(backends)('shadow comparisons at close [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  /** A reader at `shadow` whose Convex read answers when `release` is called. */
  function shadowReader(closeWaitMs: number) {
    const warnings: Array<{ fields: unknown; message: string }> = [];
    const log = { warn: (fields: unknown, message: string) => warnings.push({ fields, message }) };
    const recorder = new ShadowRecorder(db.pool, { tool: DEFAULT_TOOL_SCHEMA, flushMs: 60_000, closeWaitMs, log: log as never });
    const reader = new Reader({
      tool: DEFAULT_TOOL_SCHEMA,
      flags: { stageOf: () => ({ stage: 'shadow', percent: 0, salt: 's' }) },
      pool: db.pool,
      recorder,
      shadow: { timeoutMs: 60_000 },
    });
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const read = (table: string) =>
      reader.read({
        tables: [table],
        postgres: async () => [{ id: 1 }],
        convex: async () => {
          await answered;
          return [{ id: 1 }];
        },
      });
    return { recorder, reader, read, release, warnings };
  }

  const compared = async (table: string) =>
    (await shadowReport(db.pool, DEFAULT_TOOL_SCHEMA)).tables[table] ?? { compared: 0, match: 0 };

  it('close waits for a comparison under way and records its outcome', async () => {
    const { recorder, read, release, warnings } = shadowReader(5_000);
    const served = await read('closing_a');
    expect(served.decision).toBe('shadow');
    const closed = recorder.close();
    setTimeout(release, 50);
    await closed;
    expect([await compared('closing_a'), warnings]).toEqual([expect.objectContaining({ compared: 1, match: 1 }), []]);
  });

  it('close stops waiting at closeWaitMs and says how many comparisons it left', async () => {
    const { recorder, reader, read, release, warnings } = shadowReader(100);
    await read('closing_b');
    await recorder.close();
    const left = await compared('closing_b');
    release();
    await reader.settled();
    expect([left.compared, warnings]).toEqual([
      0,
      [{ fields: { unfinished: 1, waitedMs: 100 }, message: 'shadow comparisons still under way at close; their outcomes are not recorded' }],
    ]);
  });

  it.each([
    ['exact', undefined],
    ['stated tolerance', () => ({ ok: false as const })],
  ])('a difference being re-checked (%s) stops at close instead of querying the pool the server ends', async (_way, compare) => {
    // The server's own pool, ended once the recorder is closed (as `serve` does).
    const serverPool = new pg.Pool({ connectionString: db.url, max: 2 });
    // A change to the table pending in the outbox: the difference below is re-checked until it settles.
    await db.pool.query(
      `INSERT INTO ${DEFAULT_TOOL_SCHEMA.sql}.outbox (txid, table_name, key, op) VALUES (pg_current_xact_id(), 'closing_c', '1', 'update')`,
    );
    const readerWarnings: string[] = [];
    const recorder = new ShadowRecorder(serverPool, { tool: DEFAULT_TOOL_SCHEMA, flushMs: 60_000, closeWaitMs: 100 });
    const reader = new Reader({
      tool: DEFAULT_TOOL_SCHEMA,
      flags: { stageOf: () => ({ stage: 'shadow', percent: 0, salt: 's' }) },
      pool: serverPool,
      recorder,
      shadow: { recheckMs: 50, recheckAttempts: 200 },
      log: { warn: (_fields: unknown, message: string) => readerWarnings.push(message) } as never,
    });
    await reader.read({ tables: ['closing_c'], compare, postgres: async () => ({ v: 1 }), convex: async () => ({ v: 2 }) });
    await new Promise((r) => setTimeout(r, 120));
    await recorder.close();
    await serverPool.end();
    await reader.settled();
    // Stopped at its next re-check: nothing asked the ended pool (that would be logged as a failed comparison).
    expect(readerWarnings).toEqual([]);
  });
});
