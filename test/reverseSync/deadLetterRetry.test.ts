/**
 * Reverse-sync dead letters resolved by an operator, on the ledger: a retry
 * applies the kept change at its own version once Postgres can take it
 * (without echoing it into the outbox, and keeping the outbox sequence above
 * it), resolves one a newer change overtook without writing it, and leaves
 * one that still fails unresolved with the new reason; a discard resolves
 * without applying; each is audited. Until then the worker's drain counts
 * them, which is what a write rollback refuses on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { toolSchema } from '../../src/core/toolSchema.js';
import {
  countReverseDeadLetters,
  discardReverseDeadLetter,
  retryReverseDeadLetters,
} from '../../src/reverseSync/deadLetters.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import { LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { createLedgerDatabase } from './ledgerFixture.js';
import { account, log, staticSource, upsert } from './staticLog.js';

const TOOL = toolSchema('tandem_dlq_retry');

describe.each(await availableBackends())('reverse-sync dead letters: retry and discard [%s]', (backend) => {
  let db: TestDatabase;
  const query = async (sql: string, params: unknown[] = []) => (await db.pool.query(sql, params)).rows;
  const deadLetters = () =>
    query(
      `SELECT id::int, table_name, key, version::int, attempts, resolution, reason FROM ${TOOL.sql}.reverse_sync_dead_letter ORDER BY id`,
    );
  const outboxRows = async () => (await query(`SELECT count(*)::int AS n FROM ${TOOL.sql}.outbox`))[0].n as number;
  const outboxSeq = async () =>
    Number((await query(`SELECT last_value FROM ${TOOL.sql}.outbox_seq_seq`))[0].last_value);

  beforeAll(async () => {
    db = await createLedgerDatabase(backend, TOOL);
  });
  afterAll(() => db?.close());

  it('retries what Postgres can now take, resolves what was overtaken, keeps what still fails, discards, audited', async () => {
    const entries = log(1, [
      upsert('account', 'A', account('A', '1.00')),
      upsert('account', 'K', account('K', '2.00', 'nul \u0000 inside')),
      upsert('account', 'K', account('K', '3.00', 'fixed')),
      upsert('account', 'M', account('M', '4.00', 'nul \u0000 again')),
      // No account ZZZ in Postgres yet: a foreign key, retried until the budget (1) is spent.
      upsert('entry', '["ZZZ","1"]', { account_code: 'ZZZ', line: 1, amount: '1.50', kind: 'debit', memo: null }),
    ]);
    const worker = new ReverseSyncWorker({
      tool: TOOL,
      pool: db.pool,
      source: staticSource(entries),
      config: LEDGER,
      retry: { budget: 1, baseDelayMs: 0, maxDelayMs: 0 },
      random: () => 0,
      sleep: async () => undefined,
    });
    expect(await worker.drain(undefined, 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 3 });
    expect(await worker.drain(['account'], 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 2 });
    const [k, m, zzz] = (await deadLetters()).map((d) => d.id as number);
    expect((await deadLetters()).map((d) => [d.id, d.table_name, d.key, d.version, d.attempts, d.resolution])).toEqual([
      [k, 'account', 'K', 2, 1, null],
      [m, 'account', 'M', 4, 1, null],
      [zzz, 'entry', '["ZZZ","1"]', 5, 1, null],
    ]);
    // The worker kept the outbox sequence at the newest version it applied (3), Postgres then wrote once.
    await db.pool.query(`INSERT INTO ledger.account (code, holder, balance) VALUES ('ZZZ', 'Holder of ZZZ', 0)`);
    expect(await outboxSeq()).toBe(4);
    const outboxBefore = await outboxRows();

    // Unknown ids are refused before anything is applied.
    await expect(retryReverseDeadLetters(db.pool, TOOL, LEDGER, [zzz!, 9999], 'ops')).rejects.toThrow(
      new NotFoundError('reverse-sync dead letter (unresolved)', 9999, 'id'),
    );
    expect((await deadLetters()).map((d) => [d.attempts, d.resolution])).toEqual([
      [1, null],
      [1, null],
      [1, null],
    ]);

    const outcomes = await retryReverseDeadLetters(db.pool, TOOL, LEDGER, 'all', 'ops');
    expect(outcomes.map((o) => [o.id, o.table, o.key, o.version, o.outcome, o.error === null])).toEqual([
      [k, 'account', 'K', 2, 'overtaken', true],
      [m, 'account', 'M', 4, 'failed', false],
      [zzz, 'entry', '["ZZZ","1"]', 5, 'applied', true],
    ]);
    expect(await query('SELECT code, holder FROM ledger.account ORDER BY code')).toEqual([
      { code: 'A', holder: 'Holder of A' },
      { code: 'K', holder: 'fixed' },
      { code: 'ZZZ', holder: 'Holder of ZZZ' },
    ]);
    expect(await query('SELECT account_code, line, amount::text FROM ledger.entry')).toEqual([
      { account_code: 'ZZZ', line: 1, amount: '1.50' },
    ]);
    // Applied as reverse sync: nothing captured (no echo to Convex), and a later Postgres write gets a seq above it.
    expect(await outboxRows()).toBe(outboxBefore);
    expect(await outboxSeq()).toBe(5);
    expect((await deadLetters()).map((d) => [d.id, d.attempts, d.resolution, d.reason])).toEqual([
      [k, 1, 'overtaken', expect.any(String)],
      [m, 2, null, outcomes[1]!.error],
      [zzz, 1, 'retried', expect.any(String)],
    ]);
    expect(await countReverseDeadLetters(db.pool, TOOL)).toBe(1);

    await discardReverseDeadLetter(db.pool, TOOL, m!, 'ops', 'the NUL cannot be stored; a later write fixes M');
    await expect(discardReverseDeadLetter(db.pool, TOOL, m!, 'ops')).rejects.toThrow(NotFoundError);
    expect((await deadLetters()).map((d) => d.resolution)).toEqual(['overtaken', 'discarded', 'retried']);
    expect(await query('SELECT code FROM ledger.account ORDER BY code')).toEqual([
      { code: 'A' },
      { code: 'K' },
      { code: 'ZZZ' },
    ]);
    expect(await worker.drain(undefined, 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
    expect(
      await query(`SELECT actor, action, target, detail FROM ${TOOL.sql}.audit_log WHERE action LIKE 'reverse-sync.dlq.%' ORDER BY id`),
    ).toEqual([
      {
        actor: 'ops',
        action: 'reverse-sync.dlq.retry',
        target: String(k),
        detail: { table: 'account', key: 'K', version: 2, resolution: 'overtaken' },
      },
      {
        actor: 'ops',
        action: 'reverse-sync.dlq.retry',
        target: String(zzz),
        detail: { table: 'entry', key: '["ZZZ","1"]', version: 5, resolution: 'retried' },
      },
      {
        actor: 'ops',
        action: 'reverse-sync.dlq.discard',
        target: String(m),
        detail: { reason: 'the NUL cannot be stored; a later write fixes M' },
      },
    ]);
  });
});
