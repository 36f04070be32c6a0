/**
 * The sorted map behind every index: sorted-btree's B+ tree (pure JS, no
 * dependencies), O(log n) insert, delete and seek, and in-order iteration
 * from any key in either direction. A whole index is built at once from
 * sorted keys with sorted-btree's own bulk loader (O(n), a tree with room
 * left in every leaf) instead of n inserts.
 */
import * as sortedBtree from 'sorted-btree';
import * as bulkLoadModule from 'sorted-btree/extended/bulkLoad.js';
import * as unionModule from 'sorted-btree/extended/union.js';

export interface SortedMap<K, V> {
  readonly size: number;
  set(key: K, value: V): boolean;
  delete(key: K): boolean;
  get(key: K): V | undefined;
  values(): IterableIterator<V>;
  /** Ascending from the first key >= `lowest`. */
  entries(lowest?: K): IterableIterator<[K, V]>;
  /** Descending from the last key <= `highest`. */
  entriesReversed(highest?: K): IterableIterator<[K, V]>;
}

type Compare<K> = (a: K, b: K) => number;
type BTreeClass = new <K, V>(entries: undefined, compare: Compare<K>) => SortedMap<K, V>;
type BulkLoad = <K, V>(keys: K[], values: V[], maxNodeSize: number, compare: Compare<K>) => SortedMap<K, V>;
type Union = <K, V>(a: SortedMap<K, V>, b: SortedMap<K, V>, combine: (key: K, a: V, b: V) => V) => SortedMap<K, V>;

// sorted-btree is CommonJS with `exports.default`: Node's ESM loader hands the
// whole exports object over as the default, esbuild (tsx, vitest) the class.
function defaultExport<T>(module: unknown): T {
  const value = (module as { default: T | { default: T } }).default;
  return typeof value === 'function' ? (value as T) : (value as { default: T }).default;
}
const BTree = defaultExport<BTreeClass>(sortedBtree);
const union = defaultExport<Union>(unionModule);
const bulkLoad = (bulkLoadModule as unknown as { bulkLoad: BulkLoad }).bulkLoad;

/** sorted-btree's default node size, which the bulk loader must be told. */
const MAX_NODE_SIZE = 32;
/** Keys bulk-loaded per step: tens of milliseconds of work. */
const KEYS_PER_STEP = 32_768;

export function createSortedMap<K, V>(compare: Compare<K>): SortedMap<K, V> {
  return new BTree<K, V>(undefined, compare);
}

/**
 * A map of `count` entries given in ascending key order (entry i is
 * `keyAt(i)` → `valueAt(i)`, keys strictly ascending by `compare`), built in
 * steps (a generator that yields between them; sortInSteps.ts runs it): each
 * step bulk-loads the next slice into a tree of its own and joins it to the
 * trees before, which sorted-btree's union does by sharing their nodes (the
 * slices' key ranges do not overlap). Only one slice is copied at a time.
 * Throws if the keys are not strictly ascending.
 */
export function* buildSortedMap<K, V>(
  count: number,
  keyAt: (i: number) => K,
  valueAt: (i: number) => V,
  compare: Compare<K>,
): Generator<void, SortedMap<K, V>, void> {
  let tree = createSortedMap<K, V>(compare);
  let previousLast: K | undefined;
  for (let start = 0; start < count; start += KEYS_PER_STEP) {
    const end = Math.min(start + KEYS_PER_STEP, count);
    const keys: K[] = [];
    const values: V[] = [];
    for (let i = start; i < end; i++) {
      keys.push(keyAt(i));
      values.push(valueAt(i));
    }
    // bulkLoad checks the order within a slice; this, across slices.
    if (previousLast !== undefined && compare(previousLast, keys[0]!) >= 0) {
      throw new Error('buildSortedMap: keys must be strictly ascending');
    }
    const slice = bulkLoad(keys, values, MAX_NODE_SIZE, compare);
    tree = start === 0 ? slice : union(tree, slice, (_key, value) => value);
    previousLast = keys.at(-1);
    yield;
  }
  return tree;
}
