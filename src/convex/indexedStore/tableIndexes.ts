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
 */
import { compareKeys, documentKey, fieldValue, type IndexKey } from './indexKeys.js';
import { sortInSteps } from './sortInSteps.js';
import { buildSortedMap, createSortedMap, type SortedMap } from './sortedMap.js';

export type StoredDocument = Record<string, unknown> & { _id: string; _creationTime: number };

/** A document's place in the indexes; `document` is what the running transaction sees. */
export interface Slot {
  document: StoredDocument;
}

export interface Index {
  fields: string[];
  tree: SortedMap<IndexKey, Slot>;
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
  private readonly byId: Index;

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
      });
    }
    this.all = [...this.byName.values()];
    this.byId = this.byName.get('by_id')!;
  }

  get size(): number {
    return this.byId.tree.size;
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
    }
    this.all.forEach((index, i) => (index.tree = trees[i]!));
  }

  /** Moves document `id` from `before` to `after` (null: absent) in every index. */
  move(id: string, before: StoredDocument | null, after: StoredDocument | null): void {
    if (before === after) return;
    if (before === null) {
      const slot: Slot = { document: after! };
      for (const index of this.all) index.tree.set(documentKey(index.fields, after!), slot);
      return;
    }
    const slot = this.byId.tree.get([id]);
    if (!slot) throw new Error(`indexed store: document ${id} is missing from its indexes`);
    if (after === null) {
      for (const index of this.all) index.tree.delete(documentKey(index.fields, before));
      return;
    }
    for (const index of this.all) {
      if (sameKey(index.fields, before, after)) continue;
      index.tree.delete(documentKey(index.fields, before));
      index.tree.set(documentKey(index.fields, after), slot);
    }
    slot.document = after;
  }
}
