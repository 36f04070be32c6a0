/**
 * Parity against drift made behind the mirror's back: rows changed, inserted
 * and deleted in Postgres with capture bypassed, documents changed, deleted and
 * added in Convex directly. Full parity finds exactly those keys and classifies
 * them; repair heals them through the relay; parity is clean after.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { ParityReader } from '../../src/convex/target.js';
import { columnDifferenceText, runParity, repairKeys, unresolvedDrift, type ParityOptions } from '../../src/parity/index.js';
import { requireTable } from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { makeRelay, prepareMirroredDatabase } from '../support/mirror.js';
import { byNumber, convexDoc, patchConvex, resetMirror, withoutCapture } from './fixture.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

const parityReaderOf = (t: EmbeddedConvexTarget): ParityReader => ({
  rangeDigest: (...a) => t.rangeDigest(...a),
  rangeRowHashes: (...a) => t.rangeRowHashes(...a),
  rowsByKeys: (...a) => t.rowsByKeys(...a),
  countRows: (...a) => t.countRows(...a),
  query: (...a) => t.query(...a),
});
// Small ranges so 300 rows span several ranges and bisection goes a few levels deep.
const SMALL: ParityOptions = { config: STORY_SITE_TABLES, rangeRows: 40, leafRows: 4, concurrency: 3, pendingWaitMs: 200 };

describe.each(backends)('parity [%s]', (backend) => {
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
    target = await resetMirror(db.pool);
  });

  it('a clean mirror reports zero drift in every mode', async () => {
    for (const mode of ['count', 'sample', 'full'] as const) {
      const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL, mode, sample: 50 });
      expect(report.clean, mode).toBe(true);
      const done = report.tables.story_done!;
      expect([done.pgRows, done.convexRows]).toEqual([300, 300]);
      expect(done.compared).toBe(mode === 'count' ? 0 : mode === 'sample' ? 50 : 300);
      for (const t of Object.values(report.tables)) {
        expect([t.missing, t.extra, t.different, t.pending]).toEqual([[], [], [], []]);
      }
    }
    expect(Object.keys((await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL })).tables)).toEqual(
      STORY_SITE_TABLES.tables.map((t) => t.name),
    );
  });

  it('a row Convex cannot store is drift with its reason, in every mode, not a stopped check', async () => {
    // Written behind the API (which refuses them): a json array over Convex's 8,192 and a 8,193-tag course.
    await withoutCapture(db.pool, `UPDATE story SET json = (SELECT jsonb_agg(g) FROM generate_series(1, 8193) g) WHERE id = 2`);
    await withoutCapture(db.pool, `UPDATE course SET tags = (SELECT array_agg('t' || g) FROM generate_series(1, 8193) g) WHERE id = 1`);
    for (const mode of ['sample', 'full'] as const) {
      const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL, mode, sample: 1000, tables: ['story', 'course'] });
      expect(report.clean, mode).toBe(false);
      expect(report.tables.story!.different, mode).toEqual([2]);
      expect(report.tables.story!.unrepresentable, mode).toEqual([
        { key: 2, column: 'json', rule: 'array-length', reason: "8193 elements exceed Convex's 8192 per array" },
      ]);
      expect(report.tables.story!.differences, mode).toEqual([]);
      expect(report.tables.course!.unrepresentable, mode).toEqual([
        { key: 1, column: 'tags', rule: 'array-length', reason: "8193 elements exceed Convex's 8192 per array" },
      ]);
    }
  });

  it('full parity finds exactly the drift made behind its back, repair heals it', async () => {
    await withoutCapture(
      db.pool,
      `UPDATE story_done SET user_id = 4 WHERE id = 17;
       INSERT INTO story_done (id, user_id, story_id, time) VALUES (5000, 2, 1, now());
       DELETE FROM story_done WHERE id = 42;
       UPDATE language SET name = 'Arabic' WHERE id = 2;`,
    );
    await patchConvex(target, 'story_done', '100', { user_id: 8 });
    await target.run(async (ctx) => {
      await ctx.db.delete((await convexDoc(ctx, 'story_done', '200'))._id);
      await ctx.db.insert('story_done', { pgKey: '9999', pgVersion: 1, id: 9999, user_id: null, story_id: 1, time: 0 } as never);
      const content = await convexDoc(ctx, 'story_content', '3');
      await ctx.db.patch(content._id, { text: 'edited in Convex' } as never);
    });

    const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL, tables: ['language', 'story', 'story_done'] });
    expect(report.clean).toBe(false);
    const done = report.tables.story_done!;
    expect(byNumber(done.missing)).toEqual([200, 5000]);
    expect(byNumber(done.extra)).toEqual([42, 9999]);
    expect(byNumber(done.different)).toEqual([17, 100]);
    expect(done.pending).toEqual([]);
    expect([done.pgRows, done.convexRows, done.compared]).toEqual([300, 300, 300]);
    const diff = Object.fromEntries(done.differences.map((d) => [d.key, d.columns]));
    expect(diff[17]).toEqual([{ column: 'user_id', postgres: 4, convex: 9 }]);
    expect(diff[100]).toEqual([{ column: 'user_id', postgres: 2, convex: 8 }]);
    expect(report.tables.language!.different).toEqual([2]);
    expect(report.tables.language!.differences).toEqual([
      { key: 2, columns: [{ column: 'name', postgres: 'Arabic', convex: 'العربية' }] },
    ]);
    expect(report.tables.story!.different).toEqual([3]);
    expect(report.tables.story!.differences[0]!.columns.map((c) => c.column)).toEqual(['text']);

    // Repair what the history says is unresolved, let the relay apply it, check again.
    const unresolved = await unresolvedDrift(db.pool, DEFAULT_TOOL_SCHEMA, new Date());
    expect(unresolved.map((u) => [u.table, u.keys.length])).toEqual([
      ['language', 1],
      ['story', 1],
      ['story_done', 6],
    ]);
    for (const u of unresolved) {
      const result = await repairKeys(db.pool, DEFAULT_TOOL_SCHEMA, requireTable(STORY_SITE_TABLES, u.table), u.keys.map((k) => k.key));
      expect(result.operationKey).toMatch(/^repair:/);
      if (u.table === 'story_done') expect([result.upserts, result.deletes]).toEqual([4, 2]);
    }
    await makeRelay(db.pool, target).drain();
    const after = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL });
    expect(after.clean).toBe(true);
    expect(await unresolvedDrift(db.pool, DEFAULT_TOOL_SCHEMA, new Date())).toEqual([]);
  });

  it('a field missing from a Convex document is reported as missing, not as a stored null', async () => {
    // Postgres has user_id 3 and 4 for these rows (g % 9 + 1); in Convex one holds 5, one null.
    await patchConvex(target, 'story_done', '101', { user_id: 5 });
    await patchConvex(target, 'story_done', '102', { user_id: null });
    // A document without the field (one written before the column existed) is refused by the
    // embedded target's schema validation, so row 101 loses it where parity reads the rows.
    const reader: ParityReader = {
      ...parityReaderOf(target),
      rowsByKeys: async (table, keys) =>
        (await target.rowsByKeys(table, keys)).map((row) => {
          if (row.key !== '101') return row;
          const { user_id: _dropped, ...columns } = row.columns;
          return { ...row, columns };
        }),
    };
    const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, reader, { ...SMALL, tables: ['story_done'] });
    const done = report.tables.story_done!;
    expect(byNumber(done.different)).toEqual([101, 102]);
    const diff = Object.fromEntries(done.differences.map((d) => [d.key, d.columns]));
    expect(diff).toEqual({
      101: [{ column: 'user_id', postgres: 3, convex: null, convexMissing: true }],
      102: [{ column: 'user_id', postgres: 4, convex: null }],
    });
    expect(done.differences.map((d) => d.columns.map(columnDifferenceText))).toEqual([
      ['user_id (postgres 3, convex (missing))'],
      ['user_id (postgres 4, convex null)'],
    ]);
  });

  it('sample mode finds drifted keys it samples and reports the sample honestly', async () => {
    for (const id of [1, 2, 3, 4, 5]) await patchConvex(target, 'story', String(id), { set_index: 99 });
    const sampled = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL, mode: 'sample', sample: 3, tables: ['story'] });
    const story = sampled.tables.story!;
    expect([story.compared, story.different.length, story.note]).toEqual([3, 3, undefined]);
    expect(story.different.every((k) => [1, 2, 3, 4, 5].includes(k as number))).toBe(true);

    const whole = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL, mode: 'sample', sample: 1000, tables: ['story'] });
    expect(whole.tables.story!.compared).toBe(5);
    expect(byNumber(whole.tables.story!.different)).toEqual([1, 2, 3, 4, 5]);
    expect(whole.tables.story!.note).toBe(
      'sample of 1000 covers the whole table (5 rows): every row compared, by range hashes',
    );
  });

  it('count mode compares counts only and says when they differ', async () => {
    await withoutCapture(db.pool, 'DELETE FROM story_done WHERE id > 290');
    const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: STORY_SITE_TABLES, mode: 'count', tables: ['story_done', 'image'] });
    expect(report.tables.story_done).toMatchObject({ pgRows: 290, convexRows: 300, clean: false, compared: 0 });
    expect(report.tables.story_done!.note).toBe('row counts differ: Postgres 290, Convex 300');
    expect(report.tables.image!.clean).toBe(true);
  });

  it('a key with an event still pending is re-checked after the relay applies it, not reported as drift', async () => {
    // Captured writes the relay has not applied yet.
    await db.pool.query('UPDATE story_done SET user_id = 3 WHERE id IN (5, 6)');
    const waiting = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { ...SMALL, tables: ['story_done'], pendingWaitMs: 100 });
    expect(byNumber(waiting.tables.story_done!.pending)).toEqual([5, 6]);
    expect(waiting.tables.story_done!.different).toEqual([]);
    expect(waiting.clean).toBe(false);

    // The relay starts once parity has seen the keys differ (at its first leaf), so the
    // re-check has to wait for the events to be applied.
    let draining: Promise<unknown> | undefined;
    const reader = {
      ...parityReaderOf(target),
      rangeRowHashes: async (...args: Parameters<EmbeddedConvexTarget['rangeRowHashes']>) => {
        const page = await target.rangeRowHashes(...args);
        draining ??= makeRelay(db.pool, target).drain();
        return page;
      },
    };
    const settled = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, reader, { ...SMALL, tables: ['story_done'], pendingWaitMs: 20_000 });
    expect(draining).toBeDefined();
    await draining;
    expect(settled.tables.story_done!).toMatchObject({ pending: [], different: [], clean: true });
    expect(settled.tables.story_done!.compared).toBe(300);
  });
});
