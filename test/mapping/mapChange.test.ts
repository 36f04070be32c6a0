import { describe, expect, it } from 'vitest';
import type { CapturedChange } from '../../src/core/changes.js';
import { canonicalHash, decodeJsonValue, estimateChangeBytes, estimateChangeIndexRanges, mapChange, mapRow, MappingError, validateMirrorConfig } from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteTables.js';

const storyRow = {
  id: 7,
  duo_id: 'es-en-1',
  name: 'El perro',
  set_id: 1,
  set_index: 2,
  author: 11,
  author_change: null,
  date: '2024-01-02T03:04:05.123456+01:00',
  change_date: '2024-01-02T03:04:05+00:00',
  date_published: null,
  text: '> hola',
  public: false,
  image: 'img-a',
  course_id: 3,
  json: { elements: [{ type: 'line', línea: 'sí' }] },
  status: 'draft',
  deleted: false,
  todo_count: 0,
};

function captured(overrides: Partial<CapturedChange>): CapturedChange {
  return {
    seq: 10,
    txid: '500',
    table: 'story',
    key: '7',
    op: 'update',
    row: storyRow,
    operationKey: 'op-1',
    ...overrides,
  };
}

function failure(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
}

describe('mapChange', () => {
  it('the story-site configuration is valid', () => {
    expect(() => validateMirrorConfig(STORY_SITE_TABLES)).not.toThrow();
    expect(STORY_SITE_TABLES.tables.map((t) => t.name)).toHaveLength(10);
  });

  it('maps an update to an upsert with the heavy columns split into content', () => {
    const change = mapChange(captured({}), STORY_SITE_TABLES);
    expect(change).toEqual({
      table: 'story',
      key: '7',
      version: 10,
      op: 'upsert',
      doc: {
        id: 7,
        duo_id: 'es-en-1',
        name: 'El perro',
        set_id: 1,
        set_index: 2,
        author: 11,
        author_change: null,
        date: Date.UTC(2024, 0, 2, 2, 4, 5, 123) + 0.456,
        change_date: Date.UTC(2024, 0, 2, 3, 4, 5),
        date_published: null,
        public: false,
        image: 'img-a',
        course_id: 3,
        status: 'draft',
        deleted: false,
        todo_count: 0,
      },
      content: {
        text: '> hola',
        json: {
          elements: [{ '~tandem_keys': ['línea', 'type'], '~tandem_values': ['sí', 'line'] }],
        },
      },
    });
    expect(decodeJsonValue(change.content!.json)).toEqual(storyRow.json);
    expect(estimateChangeBytes(change)).toBeGreaterThan(200);
    // key + tombstone lookups, 2 foreign keys, 2 child tables, the companion lookup
    expect(estimateChangeIndexRanges(change, STORY_SITE_TABLES)).toBe(7);
  });

  it('maps a delete without a row, and a table without heavy columns without content', () => {
    expect(mapChange(captured({ op: 'delete', row: null }), STORY_SITE_TABLES)).toEqual({
      table: 'story',
      key: '7',
      version: 10,
      op: 'delete',
    });
    const avatar = mapChange(
      captured({
        table: 'avatar',
        key: '2',
        op: 'insert',
        row: { id: 2, link: 'a.png', name: null },
      }),
     STORY_SITE_TABLES);
    expect(avatar).toEqual({
      table: 'avatar',
      key: '2',
      version: 10,
      op: 'upsert',
      doc: { id: 2, link: 'a.png', name: null },
    });
  });

  it('names table, key, column and rule when a value cannot be stored', () => {
    const error = failure(() => mapChange(captured({ row: { ...storyRow, name: 'bad \uDFFF' } }), STORY_SITE_TABLES));
    expect({ table: error.table, key: error.key, column: error.column, rule: error.rule }).toEqual({
      table: 'story',
      key: '7',
      column: 'name',
      rule: 'string-utf8',
    });
  });

  it('refuses a 2 MiB story text (over Convex 1 MiB document limit, even in the companion table)', () => {
    const error = failure(() =>
      mapChange(captured({ row: { ...storyRow, text: 'x'.repeat(2 * 1024 * 1024) } }), STORY_SITE_TABLES),
    );
    expect([error.table, error.key, error.column, error.rule]).toEqual([
      'story',
      '7',
      'text',
      'document-size',
    ]);
    // 900 KB fits: the heavy column lives in its own document.
    const fits = mapChange(captured({ row: { ...storyRow, text: 'x'.repeat(900 * 1024) } }), STORY_SITE_TABLES);
    expect((fits.content!.text as string).length).toBe(900 * 1024);
  });

  it('refuses unknown tables, unknown and missing columns, and a key that disagrees with the row', () => {
    expect(failure(() => mapChange(captured({ table: 'users' }), STORY_SITE_TABLES)).rule).toBe('unknown-table');
    expect(failure(() => mapChange(captured({ row: { ...storyRow, extra: 1 } }), STORY_SITE_TABLES)).rule).toBe(
      'unknown-column',
    );
    const { json: _json, ...withoutJson } = storyRow;
    const missing = failure(() => mapChange(captured({ row: withoutJson }), STORY_SITE_TABLES));
    expect([missing.rule, missing.column]).toEqual(['missing-column', 'json']);
    expect(failure(() => mapChange(captured({ key: '8' }), STORY_SITE_TABLES)).rule).toBe('primary-key');
    expect(failure(() => mapChange(captured({ row: null }), STORY_SITE_TABLES)).rule).toBe('type');
  });

  it('maps an update that left the heavy columns out to an upsert that keeps content, and refuses any other omission', () => {
    const { text: _text, json: _json, ...light } = storyRow;
    const kept = mapChange(captured({ row: light, unchanged: ['json', 'text'] }), STORY_SITE_TABLES);
    expect(kept).toEqual({
      table: 'story',
      key: '7',
      version: 10,
      op: 'upsert',
      doc: mapChange(captured({}), STORY_SITE_TABLES).doc,
      keepContent: true,
    });
    const cases: Array<[Partial<CapturedChange>, string]> = [
      [
        { row: light, unchanged: ['text', 'json'], op: 'insert' },
        'insert must carry every column, not leave out text, json',
      ],
      [
        { row: { ...light, json: storyRow.json }, unchanged: ['text'] },
        "left out text; the mirror configuration's heavy columns are text, json",
      ],
      [
        { row: light, unchanged: ['text', 'json', 'name'] },
        "left out text, json, name; the mirror configuration's heavy columns are text, json",
      ],
      [
        { table: 'avatar', key: '1', row: { id: 1, link: 'l' }, unchanged: ['name'] },
        "left out name; the mirror configuration's heavy columns are none",
      ],
    ];
    for (const [overrides, detail] of cases) {
      const error = failure(() => mapChange(captured(overrides), STORY_SITE_TABLES));
      expect([error.rule, error.detail]).toEqual(['unchanged-columns', detail]);
    }
    // A heavy column still in the image although named unchanged is an unknown column.
    expect(failure(() => mapChange(captured({ unchanged: ['text', 'json'] }), STORY_SITE_TABLES)).rule).toBe(
      'unknown-column',
    );
  });
});

describe('mapRow and canonicalHash', () => {
  it('hash ignores key order and the mirror fields, and sees type and value changes', () => {
    const columns = mapRow('story', storyRow, STORY_SITE_TABLES).columns;
    const reordered = Object.fromEntries(Object.entries(columns).reverse());
    const withMirrorFields = {
      ...columns,
      pgKey: '7',
      pgVersion: 3,
      ref_course_id: 'abc',
      _id: 'x',
      _creationTime: 1,
    };
    const hash = canonicalHash('story', columns, STORY_SITE_TABLES);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalHash('story', reordered, STORY_SITE_TABLES)).toBe(hash);
    expect(canonicalHash('story', withMirrorFields, STORY_SITE_TABLES)).toBe(hash);
    expect(canonicalHash('story', { ...columns, set_id: 2 }, STORY_SITE_TABLES)).not.toBe(hash);
    expect(canonicalHash('story', { ...columns, author: 11n }, STORY_SITE_TABLES)).not.toBe(hash);
    const { text: _text, ...withoutText } = columns;
    expect(canonicalHash('story', withoutText, STORY_SITE_TABLES)).not.toBe(hash);
    expect(canonicalHash('story', { ...columns, text: null }, STORY_SITE_TABLES)).not.toBe(hash);
  });
});
