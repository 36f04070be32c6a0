/**
 * Property: whatever the application writes, delivering its captured events to
 * Convex in any order, with any of them delivered twice, and packed into any
 * chunks, leaves Convex equal to Postgres. This covers duplicate delivery, an
 * older event after a newer one, a delete followed by a late upsert, and a
 * child arriving before its parent, on events real triggers captured. Each
 * delivery's applied and skipped counts are checked too: once every event has
 * been delivered, delivering all of them again applies nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionRunner } from '../../examples/story-site/src/app/transactionRunner.js';
import { StaticUserDirectory } from '../../examples/story-site/src/app/userDirectory.js';
import { installCapture, uninstallCapture } from '../../src/capture/index.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { CapturedChange, TransactionBatch } from '../../src/core/changes.js';
import { mapChange } from '../../src/mapping/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { USER_NAMES, seedExtendedFixture } from '../support/appFixture.js';
import { expectConvexEqualsPostgres } from '../support/mirror.js';
import { outboxEvents } from '../capture/captureFixture.js';
import { ACTION_KINDS, OutcomeTally, WRITE_PROPERTY_SEED, action, attempt } from '../support/writeActions.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('delivery in any order, duplicated, in any chunks [%s]', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  });
  afterAll(() => db?.close());

  it('ends with Convex equal to Postgres', async () => {
    const deps = { pool: db.pool, runner: new TransactionRunner(db.pool), users: new StaticUserDirectory(USER_NAMES) };
    const tally = new OutcomeTally();
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 3, maxLength: 15 }),
        fc.infiniteStream(fc.nat()),
        async (actions, randoms) => {
          // Fresh state each run: capture off while the fixture is reset (TRUNCATE is not captured), then on.
          await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' });
          await db.pool.query('TRUNCATE tandem.outbox');
          await installCapture(db.pool, { ...storySiteCapture() });
          await seedExtendedFixture(db.pool);
          for (const a of actions) tally.record(a, await attempt(a, deps));

          const events = (await outboxEvents(db.pool)) as CapturedChange[];
          const next = () => randoms.next().value as number;
          // Shuffle, duplicate about a third, and cut into chunks of 1–6 changes.
          const delivered = events.flatMap((e) => (next() % 3 === 0 ? [e, e] : [e]));
          for (let i = delivered.length - 1; i > 0; i--) {
            const j = next() % (i + 1);
            [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
          }
          const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
          for (let i = 0; i < delivered.length; ) {
            const size = 1 + (next() % 6);
            const chunk = delivered.slice(i, i + size);
            i += size;
            const batches: TransactionBatch[] = chunk.map((e) => ({ txid: e.txid, changes: [mapChange(e, STORY_SITE_TABLES)] }));
            await target.applyBatch(batches);
          }
          await expectConvexEqualsPostgres(db.pool, target);
          // A replay of what was already applied changes nothing and says so.
          const replay: TransactionBatch[] = events.map((e) => ({ txid: e.txid, changes: [mapChange(e, STORY_SITE_TABLES)] }));
          expect(await target.applyBatch(replay)).toEqual({ applied: 0, skipped: events.length });
          await expectConvexEqualsPostgres(db.pool, target);
        },
      ),
      { numRuns: backend === 'postgres' ? 15 : 8, seed: WRITE_PROPERTY_SEED },
    );
    expect([...tally.done.keys()].sort()).toEqual([...ACTION_KINDS].sort());
  });
});

