/**
 * Reverse sync on the second app (the ledger: text and composite keys, a
 * foreign key, numeric, enum, timestamptz, text[]): the app's Convex write
 * functions log through withChangeLog in the same mutation, the worker
 * applies the log to Postgres, nothing echoes back, parity is clean, and a
 * Postgres write after the rollback still wins in Convex.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { mapRow } from '../../src/mapping/index.js';
import { runParity } from '../../src/parity/index.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import { accountRow, entryRow, LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends } from '../support/db.js';
import { openLedger, type LedgerStack } from './ledgerFixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const TABLES = ['account', 'entry'];
const convexRow = (table: string, row: Record<string, unknown>) =>
  mapRow(table, row, LEDGER).columns;

describe.each(await availableBackends())('reverse sync on the ledger [%s]', (backend) => {
  let stack: LedgerStack;
  let worker: ReverseSyncWorker;
  const mutate = (name: string, args: Record<string, unknown>) =>
    stack.target.runMutationByPath(`ledger:${name}`, { tables: TABLES, ...args });

  beforeAll(async () => {
    stack = await openLedger(backend);
    worker = new ReverseSyncWorker({ tool: DEFAULT_TOOL_SCHEMA,
      pool: stack.db.pool,
      source: changeLogSource(stack.target),
      config: LEDGER,
      retry: { budget: 3, baseDelayMs: 1, maxDelayMs: 5 },
      idleMs: 5,
      log: silentLogger,
    });
  });
  afterAll(() => stack?.close());

  it('applies Convex writes to Postgres in log order, with every column type back in Postgres form', async () => {
    expect(await worker.raiseConvexVersionFloor()).toBe(1);
    await mutate('open', { row: convexRow('account', accountRow('ACC-1')) });
    await mutate('open', {
      row: convexRow('account', accountRow('ACC-2', { opened_at: null, tags: null })),
    });
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 1)), balance: '1000.25' });
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 2)), balance: '999.75' });
    expect(await worker.drain(undefined, 10_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });

    const accounts = await stack.db.pool.query(
      `SELECT code, holder, balance::text, opened_at = '2024-02-29T12:00:00Z' AS opened, tags FROM ledger.account ORDER BY code`,
    );
    expect(accounts.rows).toEqual([
      {
        code: 'ACC-1',
        holder: 'Holder of ACC-1',
        balance: '999.75',
        opened: true,
        tags: ['gold', null],
      },
      {
        code: 'ACC-2',
        holder: 'Holder of ACC-2',
        balance: '1234567890.123456789',
        opened: null,
        tags: null,
      },
    ]);
    const entries = await stack.db.pool.query(
      `SELECT account_code, line, amount::text, kind::text, memo FROM ledger.entry ORDER BY line`,
    );
    expect(entries.rows).toEqual([
      { account_code: 'ACC-1', line: 1, amount: '1.50', kind: 'debit', memo: null },
      { account_code: 'ACC-1', line: 2, amount: '2.50', kind: 'credit', memo: 'memo 2' },
    ]);
    const parity = await runParity(stack.db.pool, DEFAULT_TOOL_SCHEMA, stack.target, {
      config: LEDGER,
      mode: 'full',
      record: false,
    });
    expect(parity.clean).toBe(true);
  });

  it('logs nothing when the mutation fails, and nothing echoes back into the outbox', async () => {
    await expect(
      mutate('post', {
        entry: convexRow('entry', entryRow('ACC-2', 7)),
        balance: '1.00',
        fail: true,
      }),
    ).rejects.toThrow(/planned failure/);
    expect(await changeLogSource(stack.target).pendingChanges(0)).toEqual({
      pending: 0,
      capped: false,
      oldestLoggedAt: null,
    });
    const outbox = await stack.db.pool.query('SELECT count(*)::int AS n FROM tandem.outbox');
    expect(outbox.rows[0].n).toBe(0);
  });

  it('versions every change above the key and the log, and deletes reach Postgres', async () => {
    await mutate('remove', { table: 'entry', pgKey: '["ACC-1","2"]' });
    await mutate('remove', { table: 'entry', pgKey: '["ACC-1","1"]' });
    await mutate('remove', { table: 'account', pgKey: 'ACC-1' });
    expect((await worker.drain(['account'], 10_000)).drained).toBe(true);
    expect((await stack.db.pool.query('SELECT code FROM ledger.account')).rows).toEqual([
      { code: 'ACC-2' },
    ]);
    expect(
      (await stack.db.pool.query('SELECT count(*)::int AS n FROM ledger.entry')).rows[0].n,
    ).toBe(0);
    const versions = await stack.db.pool.query<{
      table_name: string;
      key: string;
      version: string;
    }>('SELECT table_name, key, version FROM tandem.reverse_sync_key ORDER BY version');
    // seq = version, from 2 (floor 1): opens 2 and 3, posts 4 to 7 (entry, then balance),
    // the failed post drew nothing (rolled back with its writes), deletes 8 to 10.
    expect(versions.rows.map((r) => [r.table_name, r.key, Number(r.version)])).toEqual([
      ['account', 'ACC-2', 3],
      ['entry', '["ACC-1","2"]', 8],
      ['entry', '["ACC-1","1"]', 9],
      ['account', 'ACC-1', 10],
    ]);
    const tombstones = await stack.target.documents('tombstones');
    expect(tombstones.map((t) => [t.pgKey, t.pgVersion]).sort()).toEqual([
      ['ACC-1', 10],
      ['["ACC-1","1"]', 9],
      ['["ACC-1","2"]', 8],
    ]);
  });

  it('after a rollback, new Postgres writes get versions above every Convex version and win in Convex', async () => {
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-2', 3)), balance: '5.00' });
    expect((await worker.drain(undefined, 10_000)).drained).toBe(true);
    const [convexAccount] = (await stack.target.documents('account')).filter(
      (d) => d.pgKey === 'ACC-2',
    );
    expect(convexAccount!.balance).toBe('5.00');
    // Writes back in Postgres (the rollback): captured, relayed, versioned above Convex's.
    await stack.db.pool.query(`UPDATE ledger.account SET balance = 6.5 WHERE code = 'ACC-2'`);
    const { rows } = await stack.db.pool.query<{ seq: string }>('SELECT seq FROM tandem.outbox');
    expect(Number(rows[0]!.seq)).toBeGreaterThan(convexAccount!.pgVersion as number);
    const relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA,
        pool: stack.db.pool,
        target: stack.target,
        mapper: mirrorMapper(LEDGER),
        metrics: createRelayMetrics(),
        log: silentLogger,
      },
      { idleMs: 5 },
    );
    await relay.drain();
    const [after] = (await stack.target.documents('account')).filter((d) => d.pgKey === 'ACC-2');
    expect(after!.balance).toBe('6.5');
    const parity = await runParity(stack.db.pool, DEFAULT_TOOL_SCHEMA, stack.target, {
      config: LEDGER,
      mode: 'full',
      record: false,
    });
    expect(parity.clean).toBe(true);
  });

  it('passes over the entries of a decommissioned table and keeps the others in step', async () => {
    // The account table retired (as decommission leaves it: moved away, its phase recorded).
    await stack.db.pool.query(`CREATE SCHEMA ledger_retired; ALTER TABLE ledger.account SET SCHEMA ledger_retired`);
    await stack.db.pool.query(
      `INSERT INTO tandem.table_phase (table_name, phase, entered_at, forced) VALUES ('account', 'decommissioned', now(), false)`,
    );
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-2', 4)), balance: '7.00' });
    const step = await worker.step();
    expect({ applied: step.applied, retired: step.retired, failure: step.failure, caughtUp: step.caughtUp }).toEqual({
      applied: 1,
      retired: 1,
      failure: null,
      caughtUp: true,
    });
    expect(await worker.drain(undefined, 10_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
    const entries = await stack.db.pool.query(`SELECT line, amount::text FROM ledger.entry ORDER BY line`);
    expect(entries.rows).toEqual([
      { line: 3, amount: '3.50' },
      { line: 4, amount: '4.50' },
    ]);
    const kept = await stack.db.pool.query(`SELECT balance::text FROM ledger_retired.account WHERE code = 'ACC-2'`);
    expect(kept.rows).toEqual([{ balance: '6.5' }]);
    const dead = await stack.db.pool.query('SELECT count(*)::int AS n FROM tandem.reverse_sync_dead_letter');
    expect(dead.rows[0].n).toBe(0);
  });
});
