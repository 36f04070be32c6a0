/**
 * The sorted map behind every index: sorted-btree's B+ tree (pure JS, no
 * dependencies), O(log n) insert, delete and seek, and in-order iteration
 * from any key in either direction.
 */
import * as sortedBtree from 'sorted-btree';

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

type BTreeClass = new <K, V>(
  entries: undefined,
  compare: (a: K, b: K) => number,
) => SortedMap<K, V>;

// sorted-btree is CommonJS with `exports.default`: Node's ESM loader hands the
// whole exports object over as the default, esbuild (tsx, vitest) the class.
const moduleDefault = (sortedBtree as unknown as { default: BTreeClass | { default: BTreeClass } })
  .default;
const BTree: BTreeClass =
  typeof moduleDefault === 'function' ? moduleDefault : moduleDefault.default;

export function createSortedMap<K, V>(compare: (a: K, b: K) => number): SortedMap<K, V> {
  return new BTree<K, V>(undefined, compare);
}
