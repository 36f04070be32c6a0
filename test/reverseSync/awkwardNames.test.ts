/**
 * Reverse sync with awkward schema names: the ledger in application schema
 * `Led "Ger"-1` (its enum there too) with tool schema `Mig-Tool "1"`. Convex
 * writes (inserts, an update, deletes) reach the awkward tables, the versions
 * and cursor live in the awkward tool schema, nothing echoes into its outbox,
 * and parity is clean both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolSchema } from '../../src/core/toolSchema.js';
import { silentLogger } from '../../src/log.js';
import { mapRow, quoteIdentifier } from '../../src/mapping/index.js';
import { runParity } from '../../src/parity/index.js';
import { changeLogSource } from '../../src/reverseSync/changeLog.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import { accountRow, entryRow } from '../convex/anyAppFixture.js';
import { availableBackends } from '../support/db.js';
import { ledgerIn, openLedger, type LedgerStack } from './ledgerFixture.js';

const SCHEMA = 'Led "Ger"-1';
const S = quoteIdentifier(SCHEMA);
const TOOL = toolSchema('Mig-Tool "1"');
const CONFIG = ledgerIn(SCHEMA);
const TABLES = ['account', 'entry'];
const convexRow = (table: string, row: Record<string, unknown>) => mapRow(table, row, CONFIG).columns;

describe.each(await availableBackends())('reverse sync with awkward schema names [%s]', (backend) => {
  let stack: LedgerStack;
  let worker: ReverseSyncWorker;
  const mutate = (name: string, args: Record<string, unknown>) =>
    stack.target.runMutationByPath(`ledger:${name}`, { tables: TABLES, ...args });

  beforeAll(async () => {
    stack = await openLedger(backend, { schema: SCHEMA, tool: TOOL });
    worker = new ReverseSyncWorker({
      tool: TOOL,
      pool: stack.db.pool,
      source: changeLogSource(stack.target),
      config: CONFIG,
      retry: { budget: 3, baseDelayMs: 1, maxDelayMs: 5 },
      idleMs: 5,
      log: silentLogger,
    });
  }, 120_000);
  afterAll(() => stack?.close());

  it('applies Convex inserts, updates and deletes to the awkward tables, with no echo, and parity is clean', async () => {
    expect(await worker.raiseConvexVersionFloor()).toBe(1);
    await mutate('open', { row: convexRow('account', accountRow('ACC-1')) });
    await mutate('open', { row: convexRow('account', accountRow('ACC-2', { opened_at: null, tags: null })) });
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 1)), balance: '1000.25' });
    await mutate('post', { entry: convexRow('entry', entryRow('ACC-1', 2)), balance: '999.75' });
    await mutate('remove', { table: 'entry', pgKey: '["ACC-1","1"]' });
    expect(await worker.drain(undefined, 10_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });

    const accounts = await stack.db.pool.query(`SELECT code, balance::text, tags FROM ${S}.account ORDER BY code`);
    expect(accounts.rows).toEqual([
      { code: 'ACC-1', balance: '999.75', tags: ['gold', null] },
      { code: 'ACC-2', balance: '1234567890.123456789', tags: null },
    ]);
    const entries = await stack.db.pool.query(`SELECT account_code, line, amount::text, kind::text FROM ${S}.entry`);
    expect(entries.rows).toEqual([{ account_code: 'ACC-1', line: 2, amount: '2.50', kind: 'credit' }]);

    const state = await stack.db.pool.query(
      `SELECT (SELECT count(*)::int FROM ${TOOL.sql}.outbox) AS outbox,
              (SELECT count(*)::int FROM ${TOOL.sql}.reverse_sync_key) AS keys`,
    );
    expect(state.rows).toEqual([{ outbox: 0, keys: 4 }]);
    const parity = await runParity(stack.db.pool, TOOL, stack.target, { config: CONFIG, mode: 'full', record: false });
    expect([parity.clean, Object.entries(parity.tables).map(([t, r]) => [t, r.pgRows, r.convexRows])]).toEqual([
      true,
      [
        ['account', 2, 2],
        ['entry', 1, 1],
      ],
    ]);
  });
});
