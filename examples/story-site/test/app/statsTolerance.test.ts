/**
 * Monthly stats compared across stores with the stated tolerance (issue 11,
 * item 7): reads recorded in Postgres and not yet applied to Convex are within
 * `toleranceForInFlight(events in flight)` and outside the exact comparison;
 * once the relay has applied them, the exact comparison holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvexReadPaths } from '../../src/app/reads/convex.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import { compareMonthlyStats, toleranceForInFlight } from '../../src/app/reads/statsTolerance.js';
import type { MonthlyStats } from '../../src/app/reads/types.js';
import { recordStoryDoneBatch } from '../../src/app/writes/index.js';
import { insertReadFixture } from '../api/fixture.js';
import { appDeps } from '../../../../test/support/appFixture.js';
import { drainInto, mirrorIntoEmbedded, prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import type { EmbeddedConvexTarget } from 'tandem';

function stats(courses: Array<[number, number, number, number, number]>, month = 3): MonthlyStats {
  const rows = courses.map(([course_id, published, read, active_users, stories_read]) => ({
    course_id,
    short: `c${course_id}`,
    published,
    read,
    active_users,
    stories_read,
  }));
  const sum = (f: 'published' | 'read' | 'active_users' | 'stories_read') => rows.reduce((n, r) => n + r[f], 0);
  return {
    year: 2024,
    month,
    from: `2024-0${month}-01T00:00:00.000Z`,
    to: `2024-0${month + 1}-01T00:00:00.000Z`,
    courses: rows,
    totals: { published: sum('published'), read: sum('read'), active_users: sum('active_users'), stories_read: sum('stories_read') },
  };
}

describe('compareMonthlyStats', () => {
  it('names every figure beyond the tolerance, per course and site-wide; a course missing on one side counts as zeros', () => {
    const postgres = stats([[1, 2, 10, 4, 3], [2, 0, 3, 1, 1]]);
    const convex = stats([[1, 2, 8, 4, 3]]);
    expect(compareMonthlyStats(postgres, convex, { absolute: 1 })).toEqual({
      ok: false,
      kind: 'beyond-tolerance',
      differences: [
        { scope: 1, figure: 'read', postgres: 10, convex: 8, allowed: 1 },
        { scope: 2, figure: 'read', postgres: 3, convex: 0, allowed: 1 },
        { scope: 'totals', figure: 'read', postgres: 13, convex: 8, allowed: 1 },
      ],
    });
    expect(compareMonthlyStats(postgres, convex, { absolute: 5 })).toEqual({ ok: true });
    // Relative: 20 % of the larger figure. Course 1's read (10 vs 8) is within it, course 2's figures are not.
    const relative = compareMonthlyStats(postgres, convex, { absolute: 0, relative: 0.2 });
    expect(relative.ok === false && relative.kind === 'beyond-tolerance' && relative.differences).toEqual([
      { scope: 2, figure: 'read', postgres: 3, convex: 0, allowed: 3 * 0.2 },
      { scope: 2, figure: 'active_users', postgres: 1, convex: 0, allowed: 0.2 },
      { scope: 2, figure: 'stories_read', postgres: 1, convex: 0, allowed: 0.2 },
      { scope: 'totals', figure: 'read', postgres: 13, convex: 8, allowed: 13 * 0.2 },
      { scope: 'totals', figure: 'stories_read', postgres: 4, convex: 3, allowed: 4 * 0.2 },
    ]);
    expect(compareMonthlyStats(postgres, postgres, { absolute: 0 })).toEqual({ ok: true });
  });

  it('refuses to compare two different months', () => {
    expect(compareMonthlyStats(stats([], 3), stats([], 4), { absolute: 100 })).toEqual({
      ok: false,
      kind: 'different-month',
      postgres: '2024-03-01T00:00:00.000Z',
      convex: '2024-04-01T00:00:00.000Z',
    });
  });
});

describe('monthly stats while reads are in flight [pglite]', () => {
  let db: TestDatabase;
  let target: EmbeddedConvexTarget;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await prepareCapturedSchema(db.pool);
    await insertReadFixture(db.pool);
    target = await mirrorIntoEmbedded(db.pool);
  });
  afterAll(() => db?.close());

  it('differ by at most the events in flight, and not at all once they are applied', async () => {
    const postgres = new PostgresReadPaths(db.pool);
    const convex = new ConvexReadPaths(target);
    const now = new Date();
    const [year, month] = [now.getUTCFullYear(), now.getUTCMonth() + 1];
    await recordStoryDoneBatch(appDeps(db.pool), [
      { story_id: 1, user_id: 1 },
      { story_id: 2, user_id: 2 },
      { story_id: 6, user_id: null },
    ]);
    await recordStoryDoneBatch(appDeps(db.pool), [{ story_id: 1, user_id: 3 }]);
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending' AND table_name IN ('story', 'story_done')`,
    );
    const inFlight = rows[0]!.n;
    expect(inFlight).toBe(4);

    const [pg, cx] = [await postgres.monthlyStats(year, month), await convex.monthlyStats(year, month)];
    expect(pg.totals).toMatchObject({ read: cx.totals.read + 4 });
    expect(compareMonthlyStats(pg, cx, { absolute: 0 })).toMatchObject({ ok: false, kind: 'beyond-tolerance' });
    expect(compareMonthlyStats(pg, cx, toleranceForInFlight(inFlight))).toEqual({ ok: true });

    await drainInto(db.pool, target);
    const [pgAfter, cxAfter] = [await postgres.monthlyStats(year, month), await convex.monthlyStats(year, month)];
    expect(cxAfter).toEqual(pgAfter);
    expect(compareMonthlyStats(pgAfter, cxAfter, { absolute: 0 })).toEqual({ ok: true });
  });
});
