/**
 * The indexes of one table: one B-tree per index (`by_creation_time`, `by_id`
 * and each declared one), keyed by the fields convex-test sorts that index by.
 *
 * Every index of a document holds the same slot object, and the slot holds
 * the document. Most writes keep a document's indexed fields (a mirror's
 * update changes its version and data, not its key or foreign keys), and
 * `_id` and `_creationTime` never change, so a write moves the document only
 * in the indexes whose key changed: the others see the new document through
 * the slot, with no tree work at all. (Deleting from sorted-btree walks a
 * range; six deletes and six inserts per replaced story_done document was
 * most of the store's cost before.)
 *
 * A restart fills empty indexes at once (`load`): each index's keys sorted,
 * then bulk-loaded, O(n log n) comparisons and O(n) tree building instead of
 * n inserts of O(log n) each with node splits, about three times less CPU.
 *
 * A map from `_id` to slot finds the slot of a document being replaced or
 * deleted in O(1): it used to be a walk down the `by_id` B-tree, one per
 * replace, whose cost grows with the table (at 1,000,000 documents most of
 * its nodes are out of cache). The `by_id` tree stays, for ranges and order.
 *
 * Beside its B-tree, each declared index keeps a hash map for the lookup a
 * mirror makes on every write: equality on all of the index's fields, all of
 * them strings (`by_pgKey`, the tombstone index, a parent's key). It maps the
 * fields' values to the slot of the one document that has them, so such a
 * lookup costs O(1) instead of a B-tree seek. Only strings are hashed,
 * because for them Convex's equality is JavaScript's `===` (two strings
 * compare equal in Convex's UTF-8 order only when identical), which numbers
 * (-0, NaN) and bytes are not; a document whose values there are not all
 * strings is only in the tree, where a string lookup could not match it
 * anyway.
 */
import { compareKeys, documentKey, fieldValue, type IndexKey } from './indexKeys.js';
import { sortInSteps } from './sortInSteps.js';
import { buildSortedMap, createSortedMap, type SortedMap } from './sortedMap.js';

export type StoredDocument = Record<string, unknown> & { _id: string; _creationTime: number };

/** A document's place in the indexes; `document` is what the running transaction sees. */
export interface Slot {
  document: StoredDocument;
}

/**
 * An equality lookup's entry: the slot of the one document with those
 * values, or how many documents share them (then the B-tree gives them in
 * index order).
 */
export type EqualEntry = Slot | number;

export interface Index {
  fields: string[];
  tree: SortedMap<IndexKey, Slot>;
  /** Declared indexes only: documents by their indexed values when those are all strings (`equalKey`). */
  equal?: Map<string, EqualEntry>;
}

/** Fields of a declared index's key before the `_creationTime` and `_id` every key ends with. */
export function declaredFields(index: Index): number {
  return index.fields.length - 2;
}

/**
 * The hash-map key of the first `count` values when all are strings, else
 * undefined. Several values are joined with their lengths, so no two
 * different tuples give the same key ("a"+"bc" is not "ab"+"c").
 */
export function equalKey(values: readonly unknown[], count: number): string | undefined {
  if (count === 1) return typeof values[0] === 'string' ? values[0] : undefined;
  let joined = '';
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (typeof value !== 'string') return undefined;
    joined += `${value.length}:${value}`;
  }
  return joined;
}

function addEqual(index: Index, key: IndexKey, slot: Slot): void {
  if (!index.equal) return;
  const hashKey = equalKey(key, declaredFields(index));
  if (hashKey === undefined) return;
  const entry = index.equal.get(hashKey);
  index.equal.set(hashKey, entry === undefined ? slot : typeof entry === 'number' ? entry + 1 : 2);
}

function removeEqual(index: Index, key: IndexKey): void {
  if (!index.equal) return;
  const hashKey = equalKey(key, declaredFields(index));
  if (hashKey === undefined) return;
  const entry = index.equal.get(hashKey);
  // A count goes down (at 1 which document is left is the tree's to say); a slot, or the last one, goes.
  if (typeof entry === 'number' && entry > 1) index.equal.set(hashKey, entry - 1);
  else index.equal.delete(hashKey);
}

/** An index of the schema, as convex-test exports a table's definition. */
export interface SchemaIndex {
  indexDescriptor: string;
  fields: string[];
}

/** The table an id belongs to: convex-test's ids are a decimal counter followed by the table name. */
export function tableOfId(id: string): string {
  let i = 0;
  while (i < id.length && id.charCodeAt(i) >= 48 && id.charCodeAt(i) <= 57) i++;
  return id.slice(i);
}

/**
 * Identical for index order without a comparison. Numbers other than zero
 * only: Convex orders -0 before 0 and tells NaNs apart by their bits, which
 * `===` does not.
 */
function identical(x: unknown, y: unknown): boolean {
  return x === y && (typeof x !== 'number' || x !== 0);
}

/** True when the two documents have the same key in an index with these fields. */
function sameKey(fields: readonly string[], a: StoredDocument, b: StoredDocument): boolean {
  for (const field of fields) {
    // Identical values (the common case) need no comparison; equal but distinct ones (bigint, bytes, objects) do.
    if (!identical(fieldValue(a, field), fieldValue(b, field)))
      return compareKeys(documentKey(fields, a), documentKey(fields, b)) === 0;
  }
  return true;
}

export class TableIndexes {
  readonly byName = new Map<string, Index>();
  private readonly all: Index[];
  /** Every document's slot by `_id`. */
  private slots = new Map<string, Slot>();

  constructor(declared: readonly SchemaIndex[]) {
    // The fields convex-test sorts each kind of index by (_resolveQuerySource).
    this.byName.set('by_creation_time', {
      fields: ['_creationTime', '_id'],
      tree: createSortedMap(compareKeys),
    });
    this.byName.set('by_id', { fields: ['_id'], tree: createSortedMap(compareKeys) });
    for (const index of declared) {
      this.byName.set(index.indexDescriptor, {
        fields: [...index.fields, '_creationTime', '_id'],
        tree: createSortedMap(compareKeys),
        equal: new Map(),
      });
    }
    this.all = [...this.byName.values()];
  }

  get size(): number {
    return this.slots.size;
  }

  /** Every document, in creation order. */
  *documents(): Generator<StoredDocument> {
    for (const slot of this.byName.get('by_creation_time')!.tree.values()) yield slot.document;
  }

  /**
   * Fills these indexes, which must be empty, with `documents` (any order,
   * distinct ids), in steps: a generator that yields between them (run it
   * with sortInSteps.ts's runToEnd or runPaced). The indexes change only
   * after the last step, so a load stopped half-way leaves them empty.
   */
  *load(documents: readonly StoredDocument[]): Generator<void, void, void> {
    if (this.size > 0) throw new Error('indexed store: load needs empty indexes');
    const slots: Slot[] = documents.map((document) => ({ document }));
    const trees: Array<SortedMap<IndexKey, Slot>> = [];
    const equals = new Map<Index, Map<string, EqualEntry>>();
    for (const index of this.all) {
      const keys = slots.map((slot) => documentKey(index.fields, slot.document));
      yield;
      const order = yield* sortInSteps(keys.length, (a, b) => compareKeys(keys[a]!, keys[b]!));
      try {
        trees.push(
          yield* buildSortedMap(order.length, (i) => keys[order[i]!]!, (i) => slots[order[i]!]!, compareKeys),
        );
      } catch (err) {
        // Keys of every index end with _id: only two documents with one id can tie.
        const tie = order.findIndex((at, i) => i > 0 && compareKeys(keys[order[i - 1]!]!, keys[at]!) === 0);
        throw new Error(`two documents to load have the _id ${slots[order[tie]!]?.document._id}`, { cause: err });
      }
      if (index.equal) equals.set(index, yield* buildEqual(index, keys, slots));
    }
    const byId = new Map<string, Slot>();
    for (let i = 0; i < slots.length; i++) {
      byId.set(slots[i]!.document._id, slots[i]!);
      if ((i & 0xffff) === 0xffff) yield;
    }
    this.all.forEach((index, i) => {
      index.tree = trees[i]!;
      if (index.equal) index.equal = equals.get(index)!;
    });
    this.slots = byId;
  }

  /** Moves document `id` from `before` to `after` (null: absent) in every index. */
  move(id: string, before: StoredDocument | null, after: StoredDocument | null): void {
    if (before === after) return;
    if (before === null) {
      const slot: Slot = { document: after! };
      for (const index of this.all) insertKey(index, documentKey(index.fields, after!), slot);
      this.slots.set(id, slot);
      return;
    }
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`indexed store: document ${id} is missing from its indexes`);
    if (after === null) {
      for (const index of this.all) deleteKey(index, documentKey(index.fields, before));
      this.slots.delete(id);
      return;
    }
    for (const index of this.all) {
      if (sameKey(index.fields, before, after)) continue;
      deleteKey(index, documentKey(index.fields, before));
      insertKey(index, documentKey(index.fields, after), slot);
    }
    slot.document = after;
  }
}

/**
 * The documents of a declared index whose fields equal `values` (one per
 * field, in order) when they are all strings: [] or the one document, in
 * O(1). Undefined when the hash map cannot tell (not all strings, or
 * several documents share the values): walk the tree instead.
 */
export function lookupEqual(index: Index, values: readonly unknown[]): StoredDocument[] | undefined {
  if (!index.equal || values.length !== declaredFields(index)) return undefined;
  const hashKey = equalKey(values, values.length);
  if (hashKey === undefined) return undefined;
  const entry = index.equal.get(hashKey);
  if (entry === undefined) return [];
  return typeof entry === 'number' ? undefined : [entry.document];
}

function insertKey(index: Index, key: IndexKey, slot: Slot): void {
  index.tree.set(key, slot);
  addEqual(index, key, slot);
}

function deleteKey(index: Index, key: IndexKey): void {
  index.tree.delete(key);
  removeEqual(index, key);
}

/** An index's hash map from its documents' keys, in steps (a few milliseconds of work each). */
function* buildEqual(index: Index, keys: readonly IndexKey[], slots: readonly Slot[]): Generator<void, Map<string, EqualEntry>, void> {
  const built: Index = { ...index, equal: new Map() };
  for (let i = 0; i < keys.length; i++) {
    addEqual(built, keys[i]!, slots[i]!);
    if ((i & 0xffff) === 0xffff) yield;
  }
  return built.equal!;
}
