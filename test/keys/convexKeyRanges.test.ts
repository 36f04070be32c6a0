/**
 * The Convex side of the key space (convex/writes/keys.ts): reserved runs are
 * stored once however often a refill retries, taken lowest first, returned
 * when the mutation that took them is refused, and a write with none left is
 * refused without writing. The refiller tops a table up only under its low
 * water mark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convexWrites } from '../../examples/story-site/src/app/writes/convexPaths.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { ConflictError, TargetUnavailableError } from '../../src/core/errors.js';
import { convexKeyRangeStore, refillKeyRanges } from '../../src/keys/index.js';
import { seedExtendedFixture } from '../support/appFixture.js';
import { prepareCapturedSchema } from '../support/convexReads.js';
import { convexSideFor, SERIAL_KEYS } from '../support/convexWrites.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

const ADMIN = { userId: 9, role: 'admin' } as const;
const keysLeft = async (target: EmbeddedConvexTarget, table: string) =>
  (await convexKeyRangeStore(target).keysLeft([table])).get(table);

describe('key ranges in Convex', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
  });

  /** A new embedded Convex mirroring a freshly seeded database (the relay drains only what is pending). */
  async function freshConvexSide(): Promise<EmbeddedConvexTarget> {
    await db.pool.query('DELETE FROM tandem.outbox');
    await seedExtendedFixture(db.pool);
    return convexSideFor(db.pool, 10);
  }
  afterAll(() => db?.close());

  it('stores a run once, even after it is used up, and hands ids out lowest first', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const runs = [
      { first: 20, last: 21, step: 1 },
      { first: 10, last: 14, step: 2 },
    ];
    expect(await target.mutation('writes/keys:addKeyRanges', { table: 't', runs })).toEqual({
      added: 2,
    });
    expect(await target.mutation('writes/keys:addKeyRanges', { table: 't', runs })).toEqual({
      added: 0,
    });
    expect(await keysLeft(target, 't')).toBe(5);
    const { takeKeys } = await import('../../examples/story-site/convex/writes/keys.js');
    const taken = await target.run((ctx) => takeKeys(ctx.db as never, 't', 4));
    expect(taken).toEqual([10, 12, 14, 20]);
    await target.run((ctx) => takeKeys(ctx.db as never, 't', 1));
    expect(await keysLeft(target, 't')).toBe(0);
    // A refill that lost its answer and retries cannot bring used ids back.
    expect(await target.mutation('writes/keys:addKeyRanges', { table: 't', runs })).toEqual({
      added: 0,
    });
    expect(await keysLeft(target, 't')).toBe(0);
  });

  it('a refused write gives its id back; the next write gets it', async () => {
    const target = await freshConvexSide();
    const before = await keysLeft(target, 'course');
    // fr-de is course 3's short: refused after the course id would have been taken.
    const refused = await convexWrites
      .saveCourse({ convex: target }, ADMIN, { learning_language: 4, from_language: 3 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(await keysLeft(target, 'course')).toBe(before);
    const created = await convexWrites.saveCourse({ convex: target }, ADMIN, {
      learning_language: 4,
      from_language: 1,
    });
    const ranges = (await target.documents('key_ranges')).filter((r) => r.table === 'course');
    expect(created.id).toBe(ranges[0]!.first);
  });

  it('with no ids left the write is refused as a wait-and-retry error, and writes nothing', async () => {
    const target = await freshConvexSide();
    const reads = (await target.documents('story_done')).length;
    for (const range of (await target.documents('key_ranges')).filter(
      (r) => r.table === 'story_done',
    ))
      await target.run((ctx) => ctx.db.delete(range._id as never));
    const err = await convexWrites
      .recordStoryDone({ convex: target }, { userId: 1, role: 'reader' }, { story_id: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect((err as Error).message).toBe(
      'no reserved story_done ids left in Convex (0 of 1): refill the key ranges',
    );
    expect((await target.documents('story_done')).length).toBe(reads);
  });

  it('the refiller reserves only for tables under their low water mark', async () => {
    const target = await freshConvexSide();
    const store = convexKeyRangeStore(target);
    const first = await refillKeyRanges(db.pool, store, SERIAL_KEYS.slice(0, 2), {
      lowWater: 10,
      batch: 50,
    });
    expect(first).toEqual([
      { table: 'language', left: 10, reserved: 0 },
      { table: 'localization', left: 10, reserved: 0 },
    ]);
    const second = await refillKeyRanges(db.pool, store, SERIAL_KEYS.slice(0, 1), {
      lowWater: 11,
      batch: 50,
    });
    expect(second).toEqual([{ table: 'language', left: 10, reserved: 50 }]);
    expect(await keysLeft(target, 'language')).toBe(60);
  });
});
