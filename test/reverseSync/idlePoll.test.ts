/**
 * An idle reverse-sync worker: after a page that caught up, a step peeks at
 * the cursor and the log without opening a transaction (no connection taken
 * from the pool, no lock) and sends Convex no prune when nothing was
 * committed since the last one; an entry that arrives is applied by the next
 * step and pruned once.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolSchema } from '../../src/core/toolSchema.js';
import type { ChangeLogEntry } from '../../src/reverseSync/changeLog.js';
import { ReverseSyncWorker } from '../../src/reverseSync/worker.js';
import { LEDGER } from '../convex/anyAppFixture.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { createLedgerDatabase } from './ledgerFixture.js';
import { account, log, staticSource, upsert } from './staticLog.js';

const TOOL = toolSchema('tandem_idle');

describe.each(await availableBackends())('an idle reverse-sync worker [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createLedgerDatabase(backend, TOOL);
  });
  afterAll(() => db?.close());

  it('polls without a transaction or a prune, and applies what arrives on the next step', async () => {
    const entries: ChangeLogEntry[] = log(1, [upsert('account', 'A', account('A', '1.00'))]);
    const source = staticSource(entries);
    const calls = { connect: 0, prune: 0 };
    const counted = {
      ...source,
      pruneChangeLog: (cursor: number) => {
        calls.prune++;
        return source.pruneChangeLog(cursor);
      },
    };
    const pool = new Proxy(db.pool, {
      get(target, name) {
        if (name === 'connect')
          return () => {
            calls.connect++;
            return target.connect();
          };
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as pg.Pool;
    const worker = new ReverseSyncWorker({ tool: TOOL, pool, source: counted, config: LEDGER });

    const first = await worker.step();
    expect([first.applied, first.cursor, first.caughtUp, calls.connect, calls.prune]).toEqual([1, 1, true, 1, 1]);
    for (let i = 0; i < 3; i++) {
      const idle = await worker.step();
      expect([idle.read, idle.applied, idle.cursor, idle.caughtUp]).toEqual([0, 0, 1, true]);
    }
    expect(calls).toEqual({ connect: 1, prune: 1 });

    entries.push(...log(2, [upsert('account', 'B', account('B', '2.00'))]));
    const next = await worker.step();
    expect([next.read, next.applied, next.cursor, next.caughtUp]).toEqual([1, 1, 2, true]);
    expect(calls).toEqual({ connect: 2, prune: 2 });
    const { rows } = await db.pool.query('SELECT code FROM ledger.account ORDER BY code');
    expect(rows.map((r) => r.code)).toEqual(['A', 'B']);
  });
});
