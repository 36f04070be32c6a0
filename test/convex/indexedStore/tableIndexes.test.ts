/**
 * A write moves a document in an index exactly when its key there changes in
 * Convex's order, which tells apart values JavaScript's === confuses (-0 and
 * 0), and keeps it in place when the key is equal (a bigint equal by value).
 * Loading a table at once builds the same indexes as inserting one by one.
 */
import { describe, expect, it } from 'vitest';
import { runToEnd } from '../../../src/convex/indexedStore/sortInSteps.js';
import {
  lookupEqual,
  TableIndexes,
  type StoredDocument,
} from '../../../src/convex/indexedStore/tableIndexes.js';

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

  it('finds a document by _id to replace or delete it, and forgets it once deleted', () => {
    const indexes = new TableIndexes([{ indexDescriptor: 'by_a', fields: ['a'] }]);
    const first: StoredDocument = { _id: '1items', _creationTime: 1, a: 'x' };
    const second: StoredDocument = { _id: '2items', _creationTime: 2, a: 'y' };
    indexes.move(first._id, null, first);
    indexes.move(second._id, null, second);
    const replaced = { ...first, a: 'z' };
    indexes.move(first._id, first, replaced);
    expect(indexes.byName.get('by_id')!.tree.get([first._id])!.document).toBe(replaced);
    indexes.move(first._id, replaced, null);
    expect(indexes.size).toBe(1);
    expect([...indexes.documents()]).toEqual([second]);
    expect(() => indexes.move(first._id, replaced, { ...replaced, a: 'w' })).toThrow(
      'indexed store: document 1items is missing from its indexes',
    );
  });
});

describe('TableIndexes.load', () => {
  const declared = [
    { indexDescriptor: 'by_a', fields: ['a'] },
    { indexDescriptor: 'by_b_a', fields: ['b', 'a'] },
  ];
  // Values Convex orders unlike JavaScript: -0 before 0, bigints, strings by code point, missing fields.
  const values = [0, -0, 1, 10n, 'b', 'a', '\u{1F600}', '\uFFFF', null, undefined, 2.5];
  const documents: StoredDocument[] = Array.from({ length: 2500 }, (_, i) => {
    const document: StoredDocument = {
      _id: `${String(10_000 + i).padStart(8, '0')}items`,
      _creationTime: 1_000 + Math.floor(i / 3),
      a: values[(i * 7) % values.length],
    };
    if (i % 4 !== 0) document.b = values[(i * 5) % values.length];
    return document;
  });
  // Not in creation order, as a snapshot after many replaces may hold them.
  const shuffled = documents.map((d, i) => [d, (i * 7919) % 2503] as const).sort((x, y) => x[1] - y[1]).map(([d]) => d);

  it('builds every index with the keys, order and shared slots that inserting one by one gives', () => {
    const inserted = new TableIndexes(declared);
    for (const document of shuffled) inserted.move(document._id, null, document);
    const loaded = new TableIndexes(declared);
    runToEnd(loaded.load(shuffled));
    for (const name of ['by_creation_time', 'by_id', 'by_a', 'by_b_a']) {
      const expected = [...inserted.byName.get(name)!.tree.entries()];
      const actual = [...loaded.byName.get(name)!.tree.entries()];
      expect(actual.map(([key]) => key)).toEqual(expected.map(([key]) => key));
      expect(actual.map(([, slot]) => slot.document)).toEqual(expected.map(([, slot]) => slot.document));
    }
    expect(loaded.size).toBe(2500);
    for (const name of ['by_a', 'by_b_a']) {
      expect(loaded.byName.get(name)!.equal).toEqual(inserted.byName.get(name)!.equal);
    }
    // One slot per document, shared by its indexes: a later write moves only what changed.
    const slotA = [...loaded.byName.get('by_a')!.tree.values()].find((s) => s.document === documents[5]);
    const slotId = loaded.byName.get('by_id')!.tree.get([documents[5]!._id]);
    expect(slotA).toBe(slotId);
    // An array sorts after every other value here.
    const changed = { ...documents[5]!, a: [9] };
    loaded.move(changed._id, documents[5]!, changed);
    expect([...loaded.byName.get('by_a')!.tree.entries()].at(-1)![1].document).toBe(changed);
    expect(loaded.byName.get('by_id')!.tree.get([changed._id])!.document).toBe(changed);
  });

  it('refuses two documents with one _id, naming it, and stays empty', () => {
    const indexes = new TableIndexes(declared);
    const twice = [...shuffled, { ...documents[42]!, a: 3 }];
    expect(() => runToEnd(indexes.load(twice))).toThrow(
      `two documents to load have the _id ${documents[42]!._id}`,
    );
    expect(indexes.size).toBe(0);
    expect([...indexes.byName.get('by_a')!.tree.entries()]).toEqual([]);
  });

  it('stopped between steps leaves the indexes empty', () => {
    const indexes = new TableIndexes(declared);
    const steps = indexes.load(shuffled);
    for (let i = 0; i < 5; i++) steps.next();
    steps.return(undefined);
    expect(indexes.size).toBe(0);
    runToEnd(indexes.load(shuffled));
    expect(indexes.size).toBe(2500);
  });
});

describe('lookupEqual (equality on every field of an index, by hash)', () => {
  const declared = [{ indexDescriptor: 'by_tag_b', fields: ['tag', 'b'] }];
  const doc = (n: number, tag: unknown, b: unknown): StoredDocument => ({ _id: `${n}items`, _creationTime: n, tag, b });

  it('finds the one document, says "ask the tree" when several share the values, and nothing once they are gone', () => {
    const indexes = new TableIndexes(declared);
    const index = indexes.byName.get('by_tag_b')!;
    const first = doc(1, 'p', 'qx');
    const second = doc(2, 'p', 'qx');
    expect(lookupEqual(index, ['p', 'qx'])).toEqual([]);
    indexes.move(first._id, null, first);
    expect(lookupEqual(index, ['p', 'qx'])).toEqual([first]);
    // Joined naively these would be the same key.
    expect(lookupEqual(index, ['pq', 'x'])).toEqual([]);
    indexes.move(second._id, null, second);
    expect(lookupEqual(index, ['p', 'qx'])).toBeUndefined();
    indexes.move(first._id, first, null);
    expect(lookupEqual(index, ['p', 'qx'])).toBeUndefined();
    indexes.move(second._id, second, null);
    expect(lookupEqual(index, ['p', 'qx'])).toEqual([]);
    expect(index.equal!.size).toBe(0);
  });

  it('follows a document whose values change, and leaves values that are not all strings to the tree', () => {
    const indexes = new TableIndexes(declared);
    const index = indexes.byName.get('by_tag_b')!;
    const before = doc(1, 'p', 'x');
    const after = { ...before, b: 'y' };
    indexes.move(before._id, null, before);
    indexes.move(before._id, before, after);
    expect(lookupEqual(index, ['p', 'x'])).toEqual([]);
    expect(lookupEqual(index, ['p', 'y'])).toEqual([after]);
    const numeric = { ...after, b: 1 };
    indexes.move(after._id, after, numeric);
    expect(index.equal!.size).toBe(0);
    expect(lookupEqual(index, ['p', 1])).toBeUndefined();
    expect(lookupEqual(index, ['p'])).toBeUndefined();
  });
});
