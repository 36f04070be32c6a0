/**
 * hashPgRow on a schema unlike the story site (a text key, a jsonb and a
 * text[] column): a row the mapping refuses becomes a row with a reason and a
 * hash no document can have, instead of an exception that stops the check.
 */
import { describe, expect, it } from 'vitest';
import type { TableConfig } from '../../src/mapping/index.js';
import { hashPgRow } from '../../src/parity/pgRows.js';

const SETTINGS: TableConfig = {
  schema: 'app',
  name: 'setting',
  columns: [
    { name: 'name', type: 'text', nullable: false },
    { name: 'value', type: 'jsonb', nullable: true },
    { name: 'labels', type: 'text', array: true, nullable: true },
  ],
  primaryKey: ['name'],
  foreignKeys: [],
};

const nested = (depth: number): unknown => (depth === 0 ? 0 : [nested(depth - 1)]);

describe('hashPgRow and values Convex cannot store', () => {
  it('maps a storable row as usual', () => {
    const row = hashPgRow(SETTINGS, { name: 'theme', value: { dark: true }, labels: ['ui'] });
    expect(row.unrepresentable).toBeUndefined();
    expect(row.key).toBe('theme');
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['nesting', { name: 'deep', value: nested(20), labels: null }, 'value', 'nesting-depth'],
    ['a lone surrogate', { name: 'bad', value: null, labels: ['x\ud800'] }, 'labels', 'string-utf8'],
  ])('%s: reported with column and rule, keyed, with a hex hash', (_what, raw, column, rule) => {
    const row = hashPgRow(SETTINGS, raw as Record<string, unknown>);
    expect(row.key).toBe((raw as { name: string }).name);
    expect(row.unrepresentable).toMatchObject({ column, rule });
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.columns).toEqual({});
  });
});
