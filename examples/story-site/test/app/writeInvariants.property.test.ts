/**
 * Property: whatever sequence of write paths runs — one after another, or
 * several at once on real PostgreSQL — every invariant of DOMAIN.md holds after.
 * Refused writes (unknown ids, conflicts) are part of the mix on purpose; every
 * write path must also have succeeded, so one that refused everything fails.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import type { AppDeps } from '../../src/app/ports.js';
import { TransactionRunner } from '../../src/app/transactionRunner.js';
import { StaticUserDirectory } from '../../src/app/userDirectory.js';
import { ACTION_KINDS, OutcomeTally, WRITE_PROPERTY_SEED, action, attempt } from '../../../../test/support/writeActions.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { USER_NAMES, seedExtendedFixture } from '../../../../test/support/appFixture.js';

const backends = await availableBackends();

describe.each(backends)('random write sequences keep every invariant [%s]', (backend) => {
  let db: TestDatabase;
  let deps: AppDeps;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    deps = { pool: db.pool, runner: new TransactionRunner(db.pool), users: new StaticUserDirectory(USER_NAMES) };
  });
  afterAll(() => db?.close());

  async function reset(): Promise<void> {
    await seedExtendedFixture(db.pool);
    expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
  }


  it('sequentially', async () => {
    const tally = new OutcomeTally();
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
        await reset();
        for (const a of actions) tally.record(a, await attempt(a, deps));
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      }),
      { numRuns: 20, seed: WRITE_PROPERTY_SEED },
    );
    expect([...tally.done.keys()].sort()).toEqual([...ACTION_KINDS].sort());
  });

  it('concurrently, several writers at once', async () => {
    const tally = new OutcomeTally();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { minLength: 2, maxLength: 5 }), { minLength: 2, maxLength: 6 }), async (rounds) => {
        await reset();
        for (const round of rounds) {
          const outcomes = await Promise.all(round.map((a) => attempt(a, deps)));
          outcomes.forEach((outcome, i) => tally.record(round[i]!, outcome));
        }
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      }),
      { numRuns: backend === 'postgres' ? 25 : 8, seed: WRITE_PROPERTY_SEED },
    );
    expect([...tally.done.keys()].sort()).toEqual([...ACTION_KINDS].sort());
  });
});
