/**
 * One mirrored database per describe block, reset between tests: the app
 * fixture plus `storyDone` story_done rows, all captured and drained into a
 * fresh embedded Convex, so each test starts from a clean mirror.
 */
import type pg from 'pg';
import type { GenericId } from 'convex/values';
import { EmbeddedConvexTarget, type EmbeddedCtx } from '../../src/convex/embeddedTarget.js';
import { withTransaction } from '../../src/postgres/database.js';
import { seedFixture } from '../support/appFixture.js';
import { makeRelay } from '../support/mirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

export async function resetMirror(pool: pg.Pool, storyDone = 300): Promise<EmbeddedConvexTarget> {
  await pool.query('TRUNCATE tandem.outbox, tandem.parity_run, tandem.parity_drift, tandem.dead_letter');
  await seedFixture(pool);
  await pool.query(
    `INSERT INTO story_done (id, user_id, story_id, time)
     SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 9 + 1 END, g % 5 + 1,
            timestamptz '2024-03-01 00:00:00+00' + g * interval '1 minute'
       FROM generate_series(1, $1::int) g`,
    [storyDone],
  );
  const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
  await makeRelay(pool, target).drain();
  return target;
}

/** Runs SQL with the capture trigger bypassed: drift made behind the mirror's back. */
export async function withoutCapture(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(sql, params);
  });
}

export async function convexDoc(ctx: EmbeddedCtx, table: string, key: string) {
  const doc = await ctx.db
    .query(table)
    .withIndex('by_pgKey', (q) => q.eq('pgKey', key as never))
    .unique();
  if (!doc) throw new Error(`no ${table} document ${key}`);
  return doc as typeof doc & { _id: GenericId<string> };
}

/** Patches a mirrored document in Convex directly (behind the mirror's back). */
export function patchConvex(target: EmbeddedConvexTarget, table: string, key: string, fields: Record<string, unknown>) {
  return target.run(async (ctx) => {
    const doc = await convexDoc(ctx, table, key);
    await ctx.db.patch(doc._id, fields as never);
  });
}

export const byNumber = (keys: unknown[]) => [...keys].sort((a, b) => Number(a) - Number(b));
