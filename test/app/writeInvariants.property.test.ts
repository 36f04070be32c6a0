/**
 * Property: whatever sequence of write paths runs — one after another, or
 * several at once on real PostgreSQL — every invariant of DOMAIN.md holds after.
 * Refused writes (unknown ids, conflicts) are part of the mix on purpose.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import type { AppDeps } from '../../src/app/ports.js';
import { TransactionRunner } from '../../src/app/transactionRunner.js';
import { StaticUserDirectory } from '../../src/app/userDirectory.js';
import { action, attempt } from '../support/writeActions.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { USER_NAMES, seedExtendedFixture } from '../support/appFixture.js';

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
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
        await reset();
        for (const a of actions) await attempt(a, deps);
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('concurrently, several writers at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { minLength: 2, maxLength: 5 }), { minLength: 2, maxLength: 6 }), async (rounds) => {
        await reset();
        for (const round of rounds) await Promise.all(round.map((a) => attempt(a, deps)));
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      }),
      { numRuns: backend === 'postgres' ? 25 : 8 },
    );
  });
});
