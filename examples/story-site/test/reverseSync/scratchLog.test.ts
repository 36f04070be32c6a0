/**
 * At `convex-shadow` every write also runs as a Convex mutation on a scratch
 * copy, and the story site's mutations log every change like the real ones.
 * Wrapped by trimScratchChangeLog (as the API stack wraps its scratch), the
 * scratch log is emptied every `every` mutations, so it stays bounded however
 * many writes are shadowed; and nothing of it reaches Postgres: Postgres holds
 * exactly what its own write path wrote, and reverse sync's cursor and key
 * versions are untouched. That the API stack (`startApiStack`'s `convexShadow`)
 * wraps the scratch it is given the same way (every 100) is a test of the CLI's
 * stack, not of the story site: test/cli/apiStackScratch.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changeLogSource,
  DEFAULT_TOOL_SCHEMA as TOOL,
  type EmbeddedConvexTarget,
  readCursor,
  silentLogger,
  type TrimmedScratch,
  trimScratchChangeLog,
} from 'tandem';
import { appDeps } from '../../../../test/support/appFixture.js';
import { scratchConvexFor, writePathsDatabase } from '../../../../test/support/convexWrites.js';
import { availableBackends, type TestDatabase } from '../../../../test/support/db.js';
import type { Actor } from '../../src/app/ports.js';
import { storySiteWriteRouter, type StorySiteWriteRouter } from '../../src/app/writes/routing.js';

const EVERY = 5;
const WRITES = 23;
const EDITOR: Actor = { userId: 1, role: 'editor' };

describe.each(await availableBackends())('the scratch change log at convex-shadow [%s]', (backend) => {
  let db: TestDatabase;
  let scratch: EmbeddedConvexTarget;
  let trimmed: TrimmedScratch;
  let router: StorySiteWriteRouter;

  const scratchPending = async () => (await changeLogSource(scratch).pendingChanges(0)).pending;
  const editorApprovals = async () =>
    (
      await db.pool.query<{ story_id: number }>(
        'SELECT story_id FROM story_approval WHERE user_id = 1 ORDER BY story_id',
      )
    ).rows.map((r) => r.story_id);

  beforeAll(async () => {
    db = await writePathsDatabase(backend);
    scratch = await scratchConvexFor(db.pool);
    trimmed = trimScratchChangeLog(scratch, { every: EVERY, log: silentLogger });
    router = storySiteWriteRouter({
      stages: { stageOf: () => 'convex-shadow' },
      // Never called at convex-shadow: the real deployment is not this test's.
      convex: { mutation: () => Promise.reject(new Error('the real Convex was called')) },
      shadow: trimmed,
      log: silentLogger,
    });
  }, 120_000);

  afterAll(async () => {
    await scratch?.close();
    await db?.close();
  });

  it(`stays bounded over ${WRITES} shadowed writes (emptied every ${EVERY}) and never reaches Postgres`, async () => {
    const before = new Set(await editorApprovals());
    const stories = [1, 2, 3, 4];
    const pendingAfter: number[] = [];
    const expected = new Set(before);
    for (let i = 1; i <= WRITES; i++) {
      const storyId = stories[i % stories.length]!;
      const outcome = (await router.writes.toggleApproval(appDeps(db.pool), EDITOR, { story_id: storyId })) as {
        action: string;
      };
      expect(outcome.action).toBe(expected.has(storyId) ? 'removed' : 'added');
      if (expected.has(storyId)) expected.delete(storyId);
      else expected.add(storyId);
      await router.settled();
      pendingAfter.push(await scratchPending());
    }
    expect(router.differences()).toEqual([]);
    // Emptied after every EVERY-th write; growing in between, by at least one entry a write.
    pendingAfter.forEach((pending, index) => {
      const write = index + 1;
      const previous = write % EVERY === 1 ? 0 : pendingAfter[index - 1]!;
      if (write % EVERY === 0) expect({ write, pending }).toEqual({ write, pending: 0 });
      else expect({ write, grew: pending > previous }).toEqual({ write, grew: true });
    });
    // What is left now is trimmed on demand too, entry for entry.
    expect(await trimmed.trim()).toBe(pendingAfter[WRITES - 1]);
    expect(await scratchPending()).toBe(0);

    // Postgres has what its own path wrote, and reverse sync never ran.
    expect(await editorApprovals()).toEqual([...expected].sort((a, b) => a - b));
    expect(await readCursor(db.pool, TOOL)).toBe(0);
    const keys = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.reverse_sync_key');
    expect(keys.rows[0]!.n).toBe(0);
  });
});

