/**
 * The six invariants broken on purpose, in Postgres (capture bypassed) and in
 * Convex (documents patched directly): each store's checker finds exactly its
 * own breakage, and the Convex checker reports what the Postgres checker
 * reports for the same data, detail for detail.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkInvariantsConvex } from '../../examples/story-site/src/app/invariants/convex.js';
import { checkInvariantsPostgres } from '../../examples/story-site/src/app/invariants/postgres.js';
import type { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { listRuns, runDrift, runInvariants } from '../../src/parity/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { prepareMirroredDatabase } from '../support/mirror.js';
import { patchConvex, resetMirror, withoutCapture } from './fixture.js';
import storySiteInvariants from '../../examples/story-site/src/app/invariants/suite.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

const BREAK_POSTGRES = `
  UPDATE course SET count = 7 WHERE id = 1;
  UPDATE course SET todo_count = 4 WHERE id = 2;
  UPDATE course SET from_language_name = 'Englisch' WHERE id = 2;
  UPDATE story SET status = 'finished' WHERE id = 2;
  UPDATE story SET public = true, deleted = true, date_published = NULL WHERE id = 3;
  UPDATE course SET short = 'xx-en' WHERE id = 1;`;

async function breakConvex(target: EmbeddedConvexTarget): Promise<void> {
  await patchConvex(target, 'course', '1', { count: 7, short: 'xx-en' });
  await patchConvex(target, 'course', '2', { todo_count: 4, from_language_name: 'Englisch' });
  await patchConvex(target, 'story', '2', { status: 'finished' });
  await patchConvex(target, 'story', '3', { public: true, deleted: true, date_published: null });
}

const EXPECTED = [
  [1, 1, 'count is 7, public non-deleted stories: 0'],
  [2, 2, 'todo_count is 4, sum over non-deleted stories: 0'],
  [3, 2, 'from_language_name is "Englisch", language name is "English"'],
  [4, 2, 'status is "finished" with 0 approval(s)'],
  [5, 3, 'public story without date_published'],
  [6, 1, 'short is "xx-en", expected "ar-en"'],
];

describe.each(backends)('invariants in both stores [%s]', (backend) => {
  let db: TestDatabase;
  let target: EmbeddedConvexTarget;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareMirroredDatabase(db.pool);
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    target = await resetMirror(db.pool, 20);
  });

  it('a clean mirror has no violation in either store', async () => {
    expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
    expect(await checkInvariantsConvex(target)).toEqual([]);
  });

  it('each invariant broken in Postgres is found there, and only there', async () => {
    await withoutCapture(db.pool, BREAK_POSTGRES);
    const found = await checkInvariantsPostgres(db.pool);
    expect(found.map((v) => [v.invariant, v.key, v.detail])).toEqual(EXPECTED);
    expect(await checkInvariantsConvex(target)).toEqual([]);
  });

  it('each invariant broken in Convex is found there, as the Postgres checker reports it', async () => {
    await breakConvex(target);
    const convex = await checkInvariantsConvex(target);
    expect(convex.map((v) => [v.invariant, v.key, v.detail])).toEqual(EXPECTED);
    expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
    await withoutCapture(db.pool, BREAK_POSTGRES);
    expect(convex).toEqual(await checkInvariantsPostgres(db.pool));
  });

  it('a run stores one entry per store and invariant, with the violating keys', async () => {
    await breakConvex(target);
    const report = await runInvariants(db.pool, DEFAULT_TOOL_SCHEMA, target, { suites: [storySiteInvariants] });
    expect(report.clean).toBe(false);
    expect(report.postgres).toEqual([]);
    expect(report.convex!.map((v) => v.invariant)).toEqual([1, 2, 3, 4, 5, 6]);
    const runs = await listRuns(db.pool, DEFAULT_TOOL_SCHEMA, { kind: 'invariants', limit: 50 });
    expect(runs).toHaveLength(12);
    const convexStory = runs.find((r) => r.mode === 'convex' && r.invariant === '5')!;
    expect([convexStory.table, convexStory.clean, convexStory.driftCount]).toEqual(['story', false, 1]);
    expect(await runDrift(db.pool, DEFAULT_TOOL_SCHEMA, convexStory.id)).toEqual([
      { kind: 'violation', key: '3', detail: 'public story without date_published' },
    ]);
    expect(runs.filter((r) => r.mode === 'postgres').every((r) => r.clean)).toBe(true);
  });
});
