/** Rows and changes for the Convex-side tests, built with the real mapping. */
import type { CapturedChange, MappedChange } from '../../src/core/changes.js';
import { mapChange } from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';

export function courseRow(
  id: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    short: `c${id}`,
    learning_language: null,
    from_language: null,
    public: true,
    official: false,
    name: `Course ${id}`,
    about: null,
    conlang: false,
    tags: ['a'],
    count: 0,
    learning_language_name: null,
    from_language_name: null,
    contributors: [],
    contributors_past: [],
    todo_count: 0,
    ...overrides,
  };
}

export function storyRow(
  id: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    duo_id: `d${id}`,
    name: `Story ${id}`,
    set_id: 1,
    set_index: id,
    author: 1,
    author_change: null,
    date: '2024-05-01T10:00:00.5+00:00',
    change_date: '2024-05-01T10:00:00+00:00',
    date_published: null,
    text: `text of ${id}`,
    public: false,
    image: null,
    course_id: 1,
    json: { lines: [`line ${id}`], ключ: id },
    status: 'draft',
    deleted: false,
    todo_count: 0,
    ...overrides,
  };
}

export function storyDoneRow(id: number, storyId: number): Record<string, unknown> {
  return { id, user_id: null, story_id: storyId, time: '2024-05-02T00:00:00+00:00' };
}

export function upsert(table: string, row: Record<string, unknown>, version: number): MappedChange {
  const captured: CapturedChange = {
    seq: version,
    txid: `tx${version}`,
    table,
    key: String(row.id),
    op: 'update',
    row,
    operationKey: null,
  };
  return mapChange(captured, STORY_SITE_TABLES);
}

export function remove(table: string, key: string | number, version: number): MappedChange {
  return { table, key: String(key), version, op: 'delete' };
}
