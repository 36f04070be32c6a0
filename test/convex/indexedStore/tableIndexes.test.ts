/**
 * A write moves a document in an index exactly when its key there changes in
 * Convex's order, which tells apart values JavaScript's === confuses (-0 and
 * 0), and keeps it in place when the key is equal (a bigint equal by value).
 */
import { describe, expect, it } from 'vitest';
import { TableIndexes, type StoredDocument } from '../../../src/convex/indexedStore/tableIndexes.js';

function keysOf(indexes: TableIndexes, name: string): unknown[][] {
  return [...indexes.byName.get(name)!.tree.entries()].map(([key]) => [...key]);
}

describe('TableIndexes.move', () => {
  it('moves a document whose indexed field goes from 0 to -0 (Convex orders -0 first)', () => {
    const indexes = new TableIndexes([{ indexDescriptor: 'by_a', fields: ['a'] }]);
    const before: StoredDocument = { _id: '1items', _creationTime: 1, a: 0 };
    indexes.move('1items', null, before);
    const after: StoredDocument = { ...before, a: -0 };
    indexes.move('1items', before, after);
    const [key] = keysOf(indexes, 'by_a');
    expect(Object.is(key![0], -0)).toBe(true);
    expect([...indexes.documents()]).toEqual([after]);
  });

  it('keeps the keys of a document whose indexed values are equal, and serves the new document', () => {
    const indexes = new TableIndexes([{ indexDescriptor: 'by_n', fields: ['n'] }]);
    const before: StoredDocument = { _id: '1items', _creationTime: 1, n: 10n, note: 'old' };
    indexes.move('1items', null, before);
    const after: StoredDocument = { ...before, n: 10n, note: 'new' };
    indexes.move('1items', before, after);
    expect(keysOf(indexes, 'by_n')).toEqual([[10n, 1, '1items']]);
    const [, slot] = [...indexes.byName.get('by_n')!.tree.entries()][0]!;
    expect(slot.document).toBe(after);
    expect(indexes.size).toBe(1);
  });
});
