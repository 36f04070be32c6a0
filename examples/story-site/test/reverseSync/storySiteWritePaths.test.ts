/**
 * The story site's Convex write paths (convex/writes.ts) record every change
 * they make in the change log, in the same mutation, so reverse sync carries
 * them to Postgres: after a deterministic mix of every write path (refusals
 * included) run in Convex only, draining reverse sync leaves Postgres equal
 * to Convex row for row, Postgres's invariants hold, nothing echoes back
 * through the outbox, and every version Convex drew is above the Postgres
 * outbox sequence (a new row is never at pgVersion 0).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import {
  changeLogSource,
  DEFAULT_TOOL_SCHEMA,
  type EmbeddedConvexTarget,
  ReverseSyncWorker,
  silentLogger,
} from 'tandem';
import { seedExtendedFixture } from '../../../../test/support/appFixture.js';
import { convexSideFor, runOnConvex, type WriteCall } from '../../../../test/support/convexWrites.js';
import { prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { expectConvexEqualsPostgres, postgresState } from '../../../../test/support/mirror.js';
import { STORY_SITE_TABLES } from '../../../../test/support/storySiteMirror.js';
import { ALL_CALL_KINDS, SEED_EXTRAS, callKind, writeCall } from '../../../../test/support/writeCalls.js';

/** Convex's clock has millisecond resolution: keeps two calls' timestamps apart. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 2));

/** A fixed sample (seeded) long enough that every write path succeeds at least once. */
const CALLS: WriteCall[] = fc.sample(writeCall, { numRuns: 160, seed: 42 });

describe.each(await availableBackends())(
  'Convex write paths are reverse-synced [%s]',
  (backend) => {
    let db: TestDatabase;
    let convex: EmbeddedConvexTarget;

    beforeAll(async () => {
      db = await createTestDatabase(backend);
      await prepareCapturedSchema(db.pool);
      await seedExtendedFixture(db.pool);
      await db.pool.query(SEED_EXTRAS);
      convex = await convexSideFor(db.pool, 400);
    }, 120_000);
    afterAll(async () => {
      await convex?.close();
      await db?.close();
    });

    it(
      'every write path logs its changes; draining leaves Postgres equal to Convex',
      { timeout: 300_000 },
      async () => {
        const worker = new ReverseSyncWorker({ tool: DEFAULT_TOOL_SCHEMA,
          pool: db.pool,
          source: changeLogSource(convex),
          config: STORY_SITE_TABLES,
          idleMs: 1,
          log: silentLogger,
        });
        const floor = await worker.raiseConvexVersionFloor();
        const pgBefore = await postgresState(db.pool);
        const outboxBefore = await db.pool.query('SELECT count(*)::int AS n FROM tandem.outbox');
        const succeeded = new Set<string>();
        for (const call of CALLS) {
          const outcome = await runOnConvex(convex, call);
          if (outcome.ok) succeeded.add(callKind(call));
          await pause();
        }
        expect([...succeeded].sort()).toEqual([...ALL_CALL_KINDS].sort());
        // The writes happened in Convex only: Postgres has not moved yet.
        expect(await postgresState(db.pool)).toEqual(pgBefore);

        const pending = await changeLogSource(convex).pendingChanges(0);
        expect(pending.pending).toBeGreaterThan(CALLS.length / 2);
        for (const table of STORY_SITE_TABLES.tables.map((t) => t.name)) {
          const versions = (await convex.documents(table))
            .filter((d) => !(String(d.pgKey) in pgBefore[table]!))
            .map((d) => d.pgVersion as number);
          expect(
            versions.filter((v) => v <= floor),
            `${table}: versions of rows created in Convex`,
          ).toEqual([]);
        }

        expect(await worker.drain(undefined, 60_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
        await expectConvexEqualsPostgres(db.pool, convex);
        expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
        const dead = await db.pool.query(
          'SELECT count(*)::int AS n FROM tandem.reverse_sync_dead_letter',
        );
        expect(dead.rows[0]).toEqual({ n: 0 });
        // Reverse sync's writes are not captured: nothing goes back to Convex.
        expect((await db.pool.query('SELECT count(*)::int AS n FROM tandem.outbox')).rows).toEqual(
          outboxBefore.rows,
        );
      },
    );
  },
);
