import { describe, expect, it } from 'vitest';
import { EmbeddedConvexTarget, type ExportedRow } from '../../src/convex/index.js';
import { canonicalHash, mapRow } from '../../src/mapping/index.js';
import { storyRow, upsert } from './fixtures.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

async function exportAll(
  target: EmbeddedConvexTarget,
  table: string,
  numItems: number,
  maxBytes?: number,
) {
  const pages: ExportedRow[][] = [];
  let cursor: string | null = null;
  for (;;) {
    const result = await target.exportPage(
      table,
      cursor,
      numItems,
      maxBytes === undefined ? {} : { maxBytes },
    );
    pages.push(result.page);
    if (result.isDone) return pages;
    cursor = result.continueCursor;
  }
}

describe('exportPage on the embedded target', () => {
  it('pages through every row in pgKey order with companion columns joined', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const rows = Array.from({ length: 25 }, (_, i) => storyRow(i + 1));
    await target.applyBatch([
      { txid: '1', changes: rows.map((row, i) => upsert('story', row, 100 + i)) },
    ]);
    const pages = await exportAll(target, 'story', 10);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    const keys = pages.flat().map((r) => r.key);
    expect(keys).toEqual(rows.map((r) => String(r.id)).sort());
    const first = pages.flat().find((r) => r.key === '7')!;
    expect(first.version).toBe(106);
    expect(first.columns).toEqual(mapRow('story', rows[6]!, STORY_SITE_TABLES).columns);
  });

  it('exported rows hash like the mapped Postgres rows (a clean mirror has zero drift)', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const rows = [
      storyRow(1),
      storyRow(2, { text: null, json: null, date: null }),
      storyRow(3, { name: 'שלום' }),
    ];
    await target.applyBatch([
      { txid: '1', changes: rows.map((row, i) => upsert('story', row, i + 1)) },
    ]);
    const exported = (await exportAll(target, 'story', 100)).flat();
    const convexHashes = exported.map((r) => [r.key, canonicalHash('story', r.columns, STORY_SITE_TABLES)]);
    const pgHashes = rows.map((row) => [
      String(row.id),
      canonicalHash('story', mapRow('story', row, STORY_SITE_TABLES).columns, STORY_SITE_TABLES),
    ]);
    expect(convexHashes).toEqual(pgHashes);
  });

  it('caps pages by bytes, returning at least one row, and returns an empty finished page for an empty table', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const text = 'y'.repeat(100 * 1024);
    const rows = Array.from({ length: 7 }, (_, i) => storyRow(i + 1, { text }));
    await target.applyBatch([
      { txid: '1', changes: rows.map((row, i) => upsert('story', row, i + 1)) },
    ]);
    const capped = await exportAll(target, 'story', 100, 350 * 1024);
    expect(capped.map((p) => p.length)).toEqual([3, 3, 1]);
    const tiny = await exportAll(target, 'story', 100, 10);
    expect(tiny.map((p) => p.length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(await target.exportPage('course', null, 10)).toEqual({
      page: [],
      isDone: true,
      continueCursor: '',
    });
  });

  it('refuses a table that is not mirrored', async () => {
    const target = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const error = await target
      .exportPage('users', null, 10)
      .catch((e: { data?: unknown }) => e.data);
    expect(error).toEqual({ kind: 'unknown_table', table: 'users' });
  });
});
