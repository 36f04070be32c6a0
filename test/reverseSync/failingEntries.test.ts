/**
 * Change-log entries that cannot be applied, on the ledger, through the
 * worker: an entry whose document holds a value Postgres cannot store (a NUL
 * in a string) is dead-lettered at once in a form Postgres keeps (the
 * document as its exact JSON text), the worker moves on, a later change of
 * the same key goes ahead of it and the dead letter says so, and metrics and
 * status show it; and a failing page runs the entries before its failure
 * twice at most (the first pass is rolled back) and the failing entry once.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolSchema } from '../../src/core/toolSchema.js';
import { applyNextPage } from '../../src/reverseSync/applyPage.js';
import { createReverseSyncMetrics } from '../../src/reverseSync/metrics.js';
import { listReverseDeadLetters } from '../../src/reverseSync/status.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import { LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { createLedgerDatabase } from './ledgerFixture.js';
import { account, log, remove, staticSource, upsert } from './staticLog.js';

const TOOL = toolSchema('tandem_failing');

describe.each(await availableBackends())('reverse-sync entries that fail [%s]', (backend) => {
  let db: TestDatabase;
  const cursor = async () =>
    Number((await db.pool.query(`SELECT cursor_seq FROM ${TOOL.sql}.reverse_sync_state`)).rows[0].cursor_seq);
  const holders = async () =>
    (await db.pool.query('SELECT code, holder FROM ledger.account ORDER BY code')).rows;

  beforeAll(async () => {
    db = await createLedgerDatabase(backend, TOOL);
  });
  afterAll(() => db?.close());

  it('dead-letters a document Postgres cannot store at once, keeps it as exact JSON text, and moves on', async () => {
    const nul = account('K', '2.00', 'nul \u0000 inside');
    const entries = log(1, [
      upsert('account', 'A', account('A', '1.00')),
      upsert('account', 'K', nul),
      upsert('account', 'K', account('K', '3.00', 'fixed')),
      // A key holding a NUL fails in the entry itself; its dead letter keeps the key escaped.
      remove('account', 'N\u0000'),
      upsert('account', 'L', account('L', '5.00')),
    ]);
    const source = staticSource(entries);
    const metrics = createReverseSyncMetrics(new Registry(), TOOL, db.pool, source);
    const worker = new ReverseSyncWorker({
      tool: TOOL,
      pool: db.pool,
      source,
      config: LEDGER,
      metrics,
      random: () => 0,
      sleep: async () => undefined,
    });

    const first = await worker.step();
    expect([first.applied, first.deadLettered, first.cursor, first.failure?.entry.seq, first.failure?.permanent]).toEqual([
      1, 0, 1, 2, true,
    ]);
    expect((first.failure!.error as { code?: string }).code).toBe('22P05');
    // A data exception is the entry's fault: no backoff, no retry.
    expect(first.waitMs).toBe(0);

    const second = await worker.step();
    expect([second.applied, second.deadLettered, second.cursor, second.failure?.entry.seq, second.failure?.permanent]).toEqual([
      1, 1, 3, 4, true,
    ]);
    const third = await worker.step();
    expect([third.applied, third.deadLettered, third.cursor, third.failure, third.caughtUp]).toEqual([1, 1, 5, null, true]);
    expect(await cursor()).toBe(5);
    expect(await holders()).toEqual([
      { code: 'A', holder: 'Holder of A' },
      { code: 'K', holder: 'fixed' },
      { code: 'L', holder: 'Holder of L' },
    ]);

    const { rows } = await db.pool.query(
      `SELECT seq::int, table_name, key, op, version::int, doc, doc_text, reason, column_name, attempts
         FROM ${TOOL.sql}.reverse_sync_dead_letter ORDER BY seq`,
    );
    const nulText = '{"balance":"2.00","code":"K","holder":"nul \\u0000 inside","opened_at":null,"tags":null}';
    expect(rows).toEqual([
      {
        seq: 2,
        table_name: 'account',
        key: 'K',
        op: 'upsert',
        version: 2,
        doc: null,
        doc_text: nulText,
        reason: 'unsupported Unicode escape sequence',
        column_name: null,
        attempts: 1,
      },
      {
        seq: 4,
        table_name: 'account',
        key: 'N\\u0000',
        op: 'delete',
        version: 4,
        doc: null,
        doc_text: null,
        reason: 'unsupported Unicode escape sequence',
        column_name: null,
        attempts: 1,
      },
    ]);
    // The text gives the document back exactly.
    expect(JSON.parse(rows[0].doc_text as string)).toEqual(nul);

    const listed = await listReverseDeadLetters(db.pool, TOOL);
    expect(listed.map((d) => [d.seq, d.key, d.docAsText, d.overtakenBy])).toEqual([
      [2, 'K', true, 3],
      [4, 'N\\u0000', false, null],
    ]);
    const counter = async (c: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await c.get()).values[0]!.value;
    expect([
      await counter(metrics.applied),
      await counter(metrics.deadLetters),
      await counter(metrics.retries),
      await counter(metrics.stepFailures),
    ]).toEqual([3, 2, 0, 0]);
  });

  it('a failing page runs the failing entry once and nothing after it; the entries before it apply once', async () => {
    // Sequences count every run of a row write, including those a rollback undid.
    await db.pool.query(`
      CREATE SEQUENCE ledger.account_runs; CREATE SEQUENCE ledger.entry_runs;
      CREATE FUNCTION ledger.count_run() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM nextval(format('ledger.%I', TG_TABLE_NAME || '_runs')); RETURN NEW; END $$;
      CREATE TRIGGER count_run BEFORE INSERT OR UPDATE ON ledger.account FOR EACH ROW EXECUTE FUNCTION ledger.count_run();
      CREATE TRIGGER count_run BEFORE INSERT OR UPDATE ON ledger.entry FOR EACH ROW EXECUTE FUNCTION ledger.count_run();`);
    const runs = async () =>
      (
        await db.pool.query<{ account: string; entry: string }>(
          `SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ledger.account_runs) AS account,
                  (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ledger.entry_runs) AS entry`,
        )
      ).rows[0]!;
    const applied = async () =>
      Number((await db.pool.query(`SELECT applied FROM ${TOOL.sql}.reverse_sync_state`)).rows[0].applied);
    const appliedBefore = await applied();
    const entries = log(6, [
      upsert('account', 'P', account('P', '6.00')),
      upsert('account', 'Q', account('Q', '7.00')),
      upsert('account', 'R', account('R', '8.00')),
      upsert('entry', '["ZZZ","1"]', { account_code: 'ZZZ', line: 1, amount: '1.50', kind: 'debit', memo: null }),
      upsert('account', 'S', account('S', '10.00')),
    ]);
    const deps = { pool: db.pool, source: staticSource(entries), config: LEDGER };
    const page = await applyNextPage(deps, TOOL);
    expect([page.read, page.applied, page.cursor, page.failure?.entry.seq]).toEqual([5, 3, 8, 9]);
    // P, Q, R: once in the rolled-back first pass, once kept; the bad entry once; S never.
    expect(await runs()).toEqual({ account: '6', entry: '1' });
    expect(await applied()).toBe(appliedBefore + 3);
    const versions = await db.pool.query(
      `SELECT key, version::int FROM ${TOOL.sql}.reverse_sync_key WHERE key IN ('P', 'Q', 'R', 'S') ORDER BY key`,
    );
    expect(versions.rows).toEqual([
      { key: 'P', version: 6 },
      { key: 'Q', version: 7 },
      { key: 'R', version: 8 },
    ]);

    // The retry starts at the bad entry: it runs once more, and nothing else does.
    const retry = await applyNextPage(deps, TOOL);
    expect([retry.applied, retry.cursor, retry.failure?.entry.seq]).toEqual([0, 8, 9]);
    expect(await runs()).toEqual({ account: '6', entry: '2' });
    await db.pool.query(`
      DROP TRIGGER count_run ON ledger.account; DROP TRIGGER count_run ON ledger.entry; DROP FUNCTION ledger.count_run();
      DROP SEQUENCE ledger.account_runs; DROP SEQUENCE ledger.entry_runs;`);
  });
});
