/**
 * Parity history and the green streak with time injected: days with only
 * clean runs count, a dirty run or a day without runs ends the streak, and
 * unresolved drift (the latest run of a table found drift) makes it 0 until a
 * later run shows the table clean.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { listRuns, parityStatus, recordRuns, runParity, type RunRecord } from '../../src/parity/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { prepareMirroredDatabase } from '../support/mirror.js';
import { patchConvex, resetMirror } from './fixture.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const at = (iso: string) => () => new Date(iso);

function run(table: string, day: string, clean: boolean, mode = 'full', keys: string[] = []): RunRecord {
  const time = new Date(`${day}T12:00:00Z`);
  return {
    kind: 'parity', table, mode, startedAt: time, finishedAt: time, compared: 10, clean,
    drift: keys.map((key) => ({ kind: 'different' as const, key })),
  };
}

describe.each(backends)('parity history and streak [%s]', (backend) => {
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

  it('counts consecutive green days, is broken by drift, and restarts after a clean day', async () => {
    const tables = ['image', 'story_done'];
    for (const day of ['2025-01-01', '2025-01-02', '2025-01-03'])
      await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables, now: at(`${day}T09:00:00Z`) });
    expect((await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-01-03T18:00:00Z'))).streakDays).toBe(3);
    // Today without a run yet: the streak still ends yesterday.
    expect(await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-01-04T08:00:00Z'))).toMatchObject({
      streakDays: 3,
      streakEnds: '2025-01-03',
      unresolved: [],
    });
    // Two days later, with no run in between: the gap ends it.
    expect((await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-01-05T08:00:00Z'))).streakDays).toBe(0);

    await patchConvex(target, 'story_done', '7', { user_id: 1 });
    await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables, now: at('2025-01-04T09:00:00Z') });
    const dirty = await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-01-04T10:00:00Z'));
    expect(dirty.streakDays).toBe(0);
    expect(dirty.unresolved.map((u) => [u.table, u.keys])).toEqual([['story_done', [{ kind: 'different', key: '7' }]]]);
    expect(dirty.unresolvedKeys).toBe(1);

    // Fixed and checked the same day: nothing unresolved, but the day had a dirty run.
    await patchConvex(target, 'story_done', '7', { user_id: null }); // story_done 7 is anonymous
    await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables, now: at('2025-01-04T15:00:00Z') });
    expect(await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-01-04T16:00:00Z'))).toMatchObject({ streakDays: 0, unresolved: [] });
    await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, tables, now: at('2025-01-05T09:00:00Z') });
    expect(await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-01-05T10:00:00Z'))).toMatchObject({
      streakDays: 1,
      streakEnds: '2025-01-05',
    });

    const history = await listRuns(db.pool, DEFAULT_TOOL_SCHEMA, { table: 'story_done', now: new Date('2025-01-05T10:00:00Z') });
    expect(history.map((r) => [r.finishedAt.toISOString(), r.clean, r.driftCount])).toEqual([
      ['2025-01-05T09:00:00.000Z', true, 0],
      ['2025-01-04T15:00:00.000Z', true, 0],
      ['2025-01-04T09:00:00.000Z', false, 1],
      ['2025-01-03T09:00:00.000Z', true, 0],
      ['2025-01-02T09:00:00.000Z', true, 0],
      ['2025-01-01T09:00:00.000Z', true, 0],
    ]);
    expect(history[0]).toMatchObject({ kind: 'parity', mode: 'full', pgRows: 20, convexRows: 20, compared: 20 });
  });

  it('a clean count-mode run does not resolve drift keys found by an earlier full run', async () => {
    await recordRuns(db.pool, DEFAULT_TOOL_SCHEMA, [run('story', '2025-02-01', false, 'full', ['4'])]);
    await recordRuns(db.pool, DEFAULT_TOOL_SCHEMA, [run('story', '2025-02-02', true, 'count')]);
    const status = await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-02-02T13:00:00Z'));
    expect(status.unresolved.map((u) => [u.table, u.mode, u.keys.map((k) => k.key)])).toEqual([['story', 'full', ['4']]]);
    expect(status.streakDays).toBe(0);
    await recordRuns(db.pool, DEFAULT_TOOL_SCHEMA, [run('story', '2025-02-03', true, 'sample')]);
    expect(await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-02-03T13:00:00Z'))).toMatchObject({ unresolved: [], streakDays: 2 });
  });

  it('a dirty count-mode run is unresolved drift without keys', async () => {
    await recordRuns(db.pool, DEFAULT_TOOL_SCHEMA, [run('image', '2025-03-01', false, 'count')]);
    const status = await parityStatus(db.pool, DEFAULT_TOOL_SCHEMA, new Date('2025-03-01T13:00:00Z'));
    expect(status.unresolved.map((u) => [u.table, u.countMismatch])).toEqual([['image', true]]);
    expect(status.unresolvedKeys).toBe(1);
  });
});
