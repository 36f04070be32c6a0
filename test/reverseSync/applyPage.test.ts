/**
 * One page of the change log in one call (applyToPostgres.ts, migration 0017),
 * on the ledger in a tool schema with an awkward name: entries in log order,
 * several of one key in a page ending with the newest, a failure in the middle
 * (the entries before it committed, the cursor right before it, nothing after
 * it written), bad data reported as today (a MappingError, permanent; a
 * Postgres error with its SQLSTATE, permanent only for a data exception), a value jsonb refuses
 * failing one entry rather than the page, and a page costing the same number
 * of round trips whatever its size.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolSchema } from '../../src/core/toolSchema.js';
import { MappingError } from '../../src/mapping/index.js';
import { applyNextPage, type ApplyPageDeps } from '../../src/reverseSync/applyPage.js';
import type { ChangeLogEntry } from '../../src/reverseSync/changeLog.js';
import { LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { createLedgerDatabase } from './ledgerFixture.js';
import { account, log, remove, staticSource, upsert } from './staticLog.js';

const TOOL = toolSchema('Rev Sync "tool"');

describe.each(await availableBackends())('a reverse-sync page in one call [%s]', (backend) => {
  let db: TestDatabase;
  const deps = (entries: ChangeLogEntry[], pool?: pg.Pool): ApplyPageDeps => ({
    pool: pool ?? db.pool,
    source: staticSource(entries),
    config: LEDGER,
  });
  const cursor = async () =>
    Number((await db.pool.query(`SELECT cursor_seq FROM ${TOOL.sql}.reverse_sync_state`)).rows[0].cursor_seq);
  const accounts = async () =>
    (await db.pool.query('SELECT code, balance::text FROM ledger.account ORDER BY code')).rows;
  const versions = async () =>
    (
      await db.pool.query<{ table_name: string; key: string; version: string }>(
        `SELECT table_name, key, version FROM ${TOOL.sql}.reverse_sync_key ORDER BY table_name, key`,
      )
    ).rows.map((r) => [r.table_name, r.key, Number(r.version)]);

  beforeAll(async () => {
    db = await createLedgerDatabase(backend, TOOL);
  });
  afterAll(() => db?.close());

  it('applies a page in log order: several changes of one key end with the newest, nothing echoes', async () => {
    const entries = log(1, [
      upsert('account', 'A', account('A', '1.00')),
      upsert('account', 'B', account('B', '2.00')),
      upsert('account', 'A', account('A', '3.00')),
      remove('account', 'B'),
      upsert('account', 'A', account('A', '5.00')),
      upsert('account', 'C', account('C', '6.00')),
      remove('account', 'C'),
      upsert('account', 'C', account('C', '8.00')),
    ]);
    const page = await applyNextPage(deps(entries), TOOL);
    expect(page).toMatchObject({ read: 8, applied: 8, skipped: 0, cursor: 8, failure: null, caughtUp: true, maxVersion: 8 });
    expect(await accounts()).toEqual([
      { code: 'A', balance: '5.00' },
      { code: 'C', balance: '8.00' },
    ]);
    expect(await versions()).toEqual([
      ['account', 'A', 5],
      ['account', 'B', 4],
      ['account', 'C', 8],
    ]);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ${TOOL.sql}.outbox`)).rows[0].n).toBe(0);
    const next = await db.pool.query(`SELECT nextval('${TOOL.sql.replaceAll("'", "''")}.outbox_seq_seq') AS n`);
    expect(Number(next.rows[0].n)).toBeGreaterThan(8);
  });

  it('skips what is at or below a key’s version, even when it is out of order inside the page', async () => {
    await db.pool.query(`UPDATE ${TOOL.sql}.reverse_sync_state SET cursor_seq = 0`);
    // Seqs after the cursor, versions from an older history: A's newest (5) wins over all of them.
    const replay: ChangeLogEntry[] = [
      { ...upsert('account', 'A', account('A', '4.00')), seq: 1, version: 4, loggedAt: 0 },
      { ...upsert('account', 'A', account('A', '5.55')), seq: 2, version: 5, loggedAt: 0 },
      { ...remove('account', 'A'), seq: 3, version: 2, loggedAt: 0 },
      { ...upsert('account', 'A', account('A', '9.00')), seq: 4, version: 9, loggedAt: 0 },
      { ...upsert('account', 'A', account('A', '7.00')), seq: 5, version: 7, loggedAt: 0 },
    ];
    const page = await applyNextPage(deps(replay), TOOL);
    expect([page.applied, page.skipped, page.cursor, page.maxVersion]).toEqual([1, 4, 5, 9]);
    expect(await accounts()).toEqual([
      { code: 'A', balance: '9.00' },
      { code: 'C', balance: '8.00' },
    ]);
    await db.pool.query(`UPDATE ${TOOL.sql}.reverse_sync_state SET cursor_seq = 8`);
  });

  it('stops at a Postgres error in the middle: the entries before it committed, nothing after it written', async () => {
    const entries = log(9, [
      upsert('account', 'D', account('D', '10.00')),
      upsert('entry', '["ZZZ","1"]', { account_code: 'ZZZ', line: 1, amount: '1.50', kind: 'debit', memo: null }),
      upsert('account', 'D', account('D', '12.00')),
      upsert('account', 'E', account('E', '13.00')),
    ]);
    const page = await applyNextPage(deps(entries), TOOL);
    expect([page.read, page.applied, page.skipped, page.cursor, page.maxVersion, page.caughtUp]).toEqual([
      4, 1, 0, 9, 9, false,
    ]);
    expect(page.failure?.entry.seq).toBe(10);
    expect(page.failure?.permanent).toBe(false);
    const error = page.failure!.error as pg.DatabaseError;
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect([error.code, error.constraint, error.table, error.schema]).toEqual([
      '23503',
      'entry_account_code_fkey',
      'entry',
      'ledger',
    ]);
    expect(error.message).toBe(
      'insert or update on table "entry" violates foreign key constraint "entry_account_code_fkey"',
    );
    expect(error.detail).toBe('Key (account_code)=(ZZZ) is not present in table "account".');
    expect(await cursor()).toBe(9);
    expect(await accounts()).toEqual([
      { code: 'A', balance: '9.00' },
      { code: 'C', balance: '8.00' },
      { code: 'D', balance: '10.00' },
    ]);
    expect((await versions()).filter(([, key]) => key !== 'A' && key !== 'B' && key !== 'C')).toEqual([
      ['account', 'D', 9],
    ]);

    // Dead-lettered on the next step (as the worker orders it): the rest of the page follows.
    const next = await applyNextPage(
      deps(entries),
      TOOL,
      new Map([[10, { reason: error.message, column: null, attempts: 3 }]]),
    );
    expect([next.applied, next.deadLettered, next.cursor, next.failure]).toEqual([2, 1, 12, null]);
    expect(await accounts()).toEqual([
      { code: 'A', balance: '9.00' },
      { code: 'C', balance: '8.00' },
      { code: 'D', balance: '12.00' },
      { code: 'E', balance: '13.00' },
    ]);
    const dead = await db.pool.query(
      `SELECT seq, table_name, key, op, version, doc, reason, attempts FROM ${TOOL.sql}.reverse_sync_dead_letter`,
    );
    expect(dead.rows).toEqual([
      {
        seq: '10',
        table_name: 'entry',
        key: '["ZZZ","1"]',
        op: 'upsert',
        version: '10',
        doc: { account_code: 'ZZZ', line: 1, amount: '1.50', kind: 'debit', memo: null },
        reason: error.message,
        attempts: 3,
      },
    ]);
  });

  it('bad data fails as a permanent MappingError in place, and an overtaken bad entry is skipped as before', async () => {
    const entries = log(13, [
      upsert('account', 'F', account('F', '14.00')),
      upsert('account', 'F', { ...account('F', '15.00'), colour: 'red' }),
      upsert('account', 'G', account('G', '16.00')),
    ]);
    const page = await applyNextPage(deps(entries), TOOL);
    expect([page.applied, page.cursor, page.failure?.entry.seq, page.failure?.permanent]).toEqual([1, 13, 14, true]);
    expect(page.failure!.error).toBeInstanceOf(MappingError);
    expect(page.failure!.error.message).toBe('account F.colour: unknown-column: column is not in the mirror configuration');

    // Key F at version 20 from elsewhere (repair): the bad entry is now below it and skipped, as it always was.
    await db.pool.query(`UPDATE ${TOOL.sql}.reverse_sync_key SET version = 20 WHERE key = 'F'`);
    const after = await applyNextPage(deps(entries), TOOL);
    expect([after.applied, after.skipped, after.cursor, after.failure]).toEqual([1, 1, 15, null]);
  });

  it('a row whose key Postgres reads differently from the log’s key is refused, naming both', async () => {
    const entries = log(16, [
      upsert('account', 'H', account('H', '17.00')),
      upsert('account', 'I', account('not-I', '18.00')),
    ]);
    const page = await applyNextPage(deps(entries), TOOL);
    expect([page.applied, page.cursor, page.failure?.permanent]).toEqual([1, 16, true]);
    expect(page.failure!.error).toBeInstanceOf(MappingError);
    expect(page.failure!.error.message).toBe('account I: primary-key: row has key not-I, the change log says I');
    expect((await accounts()).map((r) => r.code)).not.toContain('not-I');
    await db.pool.query(`UPDATE ${TOOL.sql}.reverse_sync_state SET cursor_seq = 17`);
  });

  it('a value jsonb refuses fails that entry only, as a Postgres error that is the entry’s fault (permanent)', async () => {
    const entries = log(18, [
      upsert('account', 'J', account('J', '19.00')),
      upsert('account', 'K', account('K', '20.00', 'nul \u0000 inside')),
      upsert('account', 'L', account('L', '21.00')),
    ]);
    const page = await applyNextPage(deps(entries), TOOL);
    expect([page.applied, page.cursor, page.failure?.entry.seq, page.failure?.permanent]).toEqual([1, 18, 19, true]);
    expect((page.failure!.error as pg.DatabaseError).code).toBe('22P05');
    expect((await accounts()).map((r) => r.code)).toEqual(['A', 'C', 'D', 'E', 'F', 'G', 'H', 'J']);
    await db.pool.query(`UPDATE ${TOOL.sql}.reverse_sync_state SET cursor_seq = 20`);
  });

  it('costs the same number of round trips for a page of 3 entries as for one of 150', async () => {
    // Counts the statements the step sends on its connection.
    let statements = 0;
    const counting = {
      connect: async () => {
        const client = await db.pool.connect();
        const patched = client as unknown as { query: (...args: unknown[]) => unknown; release: (err?: Error) => void };
        const { release } = patched;
        patched.query = (...args) => {
          statements++;
          return pg.Client.prototype.query.apply(client, args as never);
        };
        patched.release = (err) => {
          delete (patched as { query?: unknown }).query;
          patched.release = release;
          release.call(client, err);
        };
        return client;
      },
    } as unknown as pg.Pool;
    const small = log(21, [0, 1, 2].map((i) => upsert('account', `S${i}`, account(`S${i}`, '1.00'))));
    const large = log(24, Array.from({ length: 150 }, (_, i) => upsert('account', `T${i}`, account(`T${i}`, '1.00'))));
    statements = 0;
    expect((await applyNextPage(deps(small, counting), TOOL)).applied).toBe(3);
    const forSmall = statements;
    statements = 0;
    expect((await applyNextPage(deps(large, counting), TOOL)).applied).toBe(150);
    expect(statements).toBe(forSmall);
    // BEGIN with the cursor lock, the apply call, the echo check with the cursor update, COMMIT.
    expect(forSmall).toBe(4);
    expect(await cursor()).toBe(173);
  });

  it('refuses a page whose writes reached the outbox (a stale capture trigger): nothing committed, the sequence not raised', async () => {
    await db.pool.query(`
      CREATE FUNCTION ledger.stale_capture() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${TOOL.sql}.outbox (txid, table_name, key, op) VALUES (pg_current_xact_id(), TG_TABLE_NAME, NEW.code, 'insert');
        RETURN NEW;
      END $$;
      CREATE TRIGGER stale_capture AFTER INSERT ON ledger.account FOR EACH ROW EXECUTE FUNCTION ledger.stale_capture();`);
    const sequence = async () =>
      Number((await db.pool.query(`SELECT last_value FROM ${TOOL.sql}.outbox_seq_seq`)).rows[0].last_value);
    const before = await sequence();
    try {
      const entries = log(before + 100, [upsert('account', 'M', account('M', '1.00'))]);
      await db.pool.query(`UPDATE ${TOOL.sql}.reverse_sync_state SET cursor_seq = $1`, [before + 99]);
      await expect(applyNextPage(deps(entries), TOOL)).rejects.toThrow(
        'reverse-sync writes were captured into the outbox (account): the capture trigger predates the reverse-sync rule; run `tandem capture install`',
      );
      expect(await cursor()).toBe(before + 99);
      // One nextval by the echoed outbox row (sequences ignore rollbacks); not raised to the page's version.
      expect(await sequence()).toBe(before + 1);
      expect((await accounts()).map((r) => r.code)).not.toContain('M');
      expect((await db.pool.query(`SELECT count(*)::int AS n FROM ${TOOL.sql}.outbox`)).rows[0].n).toBe(0);
    } finally {
      await db.pool.query('DROP TRIGGER stale_capture ON ledger.account; DROP FUNCTION ledger.stale_capture()');
    }
  });
});
