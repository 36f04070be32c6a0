/**
 * convex-test's in-memory database with real indexes.
 *
 * convex-test (0.0.60, pinned in package.json) answers every query through
 * `DatabaseFake._iterateDocs`, which walks the ids of every document of every
 * table, then filters and sorts: O(N) per lookup, O(k·N) for a batch of k
 * upserts. This subclass keeps, per table, one B-tree (sorted-btree) per
 * index, `by_creation_time` and `by_id` included, holding the documents the
 * running transaction sees (committed documents overlaid by the pending
 * writes of every nested transaction level, convex-test's `_writes` stack),
 * and answers equality and range queries by walking only the keys in range:
 * O(log n + k). Equality on every field of a declared index with string
 * values (the lookup by Postgres key a mirror makes on every write) is one
 * hash lookup beside the tree instead (tableIndexes.ts).
 *
 * Everything else stays convex-test's own code, reached through `super`:
 * validation of the index and of the range expression (same errors), the
 * filter and limit operators, pagination (cursors, page status, split
 * cursors) and the syscalls that count documents and bytes read for
 * `transactionLimits`. The overrides only change which documents are handed
 * to that code: for a query, the documents of the range in index order
 * instead of the whole database sorted; for a page, the documents after the
 * cursor, fetched in growing windows until convex-test's own loop stops
 * before the end of the window. Search and vector queries still scan, but
 * only their own table.
 *
 * The members used here are convex-test internals (not its published API),
 * which is why package.json pins its exact version and `attachIndexedStore`
 * checks they exist before swapping the database in.
 */
import {
  compareKeys,
  HIGH,
  LOW,
  rangeBounds,
  type IndexKey,
} from './indexKeys.js';
import { checkDocumentLimits } from './documentLimits.js';
import type { DatabaseFake, DatabaseFakeClass, WriteLayer } from './convexTestInternals.js';
import {
  decodeCursor,
  decodeQueryValue,
  type PageResult,
  type PaginateArgs,
  type QuerySource,
  type ResolvedQuery,
  type SerializedQuery,
} from './serializedQuery.js';
import { lookupEqual, TableIndexes, tableOfId, type StoredDocument } from './tableIndexes.js';

interface PageWindow {
  after: IndexKey | undefined;
  max: number;
  truncated: boolean;
}

/** convex-test's constructor: (schema definition or null, component path). */
export type IndexedDatabaseClass = new (schema: unknown, componentPath: string) => IndexedDatabase;

const indexedClasses = new WeakMap<DatabaseFakeClass, IndexedDatabaseClass>();

/** The indexed subclass of convex-test's DatabaseFake class (one per base class). */
export function indexedDatabaseClass(Base: DatabaseFakeClass): IndexedDatabaseClass {
  const existing = indexedClasses.get(Base);
  if (existing) return existing;

  class Indexed extends Base implements IndexedDatabase {
    readonly tables = new Map<string, TableIndexes>();
    countScannedRead: ((document: StoredDocument) => void) | undefined;
    private scanSuppressed = false;
    private reindexPaused = false;
    private pageWindow: PageWindow | undefined;

    /** What `get` returns, without its argument checks. */
    visible(id: string): StoredDocument | null {
      for (let i = this._writes.length - 1; i >= 0; i--) {
        const write = this._writes[i]![id];
        if (write !== undefined) return write;
      }
      return this._documents[id] ?? null;
    }

    tableIndexes(table: string): TableIndexes {
      let indexes = this.tables.get(table);
      if (!indexes) {
        indexes = new TableIndexes(this._schema?.tables.get(table)?.indexes ?? []);
        this.tables.set(table, indexes);
      }
      return indexes;
    }

    /** Moves the indexes of `id` from the document the transaction saw to the one it sees now. */
    private reindex(id: string, before: StoredDocument | null, after: StoredDocument | null): void {
      if (before === after) return;
      this.tableIndexes(tableOfId(id)).move(id, before, after);
    }

    /** Runs a change of the write stack, then reindexes the ids it touched. */
    private withReindex<T>(ids: Iterable<string>, change: () => T): T {
      const touched = [...new Set(ids)];
      const before = touched.map((id) => this.visible(id));
      this.reindexPaused = true;
      let result: T;
      try {
        result = change();
      } finally {
        this.reindexPaused = false;
      }
      touched.forEach((id, i) => this.reindex(id, before[i]!, this.visible(id)));
      return result;
    }

    loadCommitted(document: StoredDocument): void {
      this.reindex(document._id, this._documents[document._id] ?? null, document);
      this._documents[document._id] = document;
    }

    *loadAllCommitted(documents: readonly StoredDocument[]): Generator<void, void, void> {
      if (this._writes.length > 0 || [...this.tables.values()].some((indexes) => indexes.size > 0)) {
        throw new Error('indexed store: loadAllCommitted needs an empty store between functions');
      }
      const byTable = new Map<string, StoredDocument[]>();
      for (const document of documents) {
        const table = tableOfId(document._id);
        let list = byTable.get(table);
        if (!list) byTable.set(table, (list = []));
        list.push(document);
      }
      const tables = new Map<string, TableIndexes>();
      for (const [table, list] of byTable) {
        const indexes = new TableIndexes(this._schema?.tables.get(table)?.indexes ?? []);
        yield* indexes.load(list);
        tables.set(table, indexes);
      }
      // Only now, all at once: a load stopped before this point leaves the store empty.
      for (const [table, indexes] of tables) this.tables.set(table, indexes);
      for (const document of documents) this._documents[document._id] = document;
    }

    /** Schema validation (convex-test's), then Convex's document limits, which convex-test does not check. */
    override _validate(tableName: string, document: Record<string, unknown>): void {
      super._validate(tableName, document);
      checkDocumentLimits(tableName, document);
    }

    /**
     * convex-test keeps every query's results until the function ends, and
     * never drops them (its queryCleanup syscall does nothing): one entry
     * per query for the life of the backend, millions in a long backfill.
     * A query read to its end is dropped here; convex/server never reads one
     * again after `done`.
     */
    override queryNext(queryId: number): { value: StoredDocument | null; done: boolean } {
      const next = super.queryNext(queryId);
      if (next.done) delete this._queryResults[queryId];
      return next;
    }

    override _addWrite(id: string, value: StoredDocument | null): void {
      if (this.reindexPaused) return super._addWrite(id, value);
      const before = this.visible(id);
      super._addWrite(id, value);
      this.reindex(id, before, value);
    }

    override commit(commitTs: bigint | null = null): void {
      // A top-level commit can replace a pending document by its resolved copy (commit timestamps).
      const top = this._writes.at(-1) ?? {};
      this.withReindex(Object.keys(top), () => super.commit(commitTs));
    }

    override rollbackWrites(): void {
      const top = this._writes.at(-1) ?? {};
      this.withReindex(Object.keys(top), () => super.rollbackWrites());
    }

    override stashWrites(): WriteLayer[] {
      return this.withReindex(this._writes.flatMap(Object.keys), () => super.stashWrites());
    }

    override restoreWrites(stashed: WriteLayer[]): void {
      this.withReindex(stashed.flatMap(Object.keys), () => super.restoreWrites(stashed));
    }

    /** One table only, in creation order: the order convex-test's scan yields (ids and creation times both grow with each insert). */
    override _iterateDocs(tableName: string, callback: (document: StoredDocument) => void): void {
      if (this.scanSuppressed) return;
      const indexes = this.tables.get(tableName);
      if (!indexes) return;
      for (const document of [...indexes.documents()]) callback(document);
    }

    /** convex-test's resolution (checks, filter, limit, order) with no documents fetched. */
    private resolveWithoutDocuments(query: SerializedQuery): ResolvedQuery {
      this.scanSuppressed = true;
      try {
        return super._resolveQuerySource(query);
      } finally {
        this.scanSuppressed = false;
      }
    }

    /** The documents of the query's range in its order, after `after` when given. */
    private *walk(
      source: QuerySource,
      order: 'asc' | 'desc',
      after?: IndexKey,
    ): Generator<StoredDocument> {
      let table: string;
      let indexName: string;
      if (source.type === 'FullTableScan') {
        table = source.tableName;
        indexName = 'by_creation_time';
      } else if (source.type === 'IndexRange') {
        [table, indexName] = source.indexName.split('.') as [string, string];
      } else {
        throw new Error('search queries are answered by convex-test');
      }
      const index = this.tables.get(table)?.byName.get(indexName);
      if (!index) return;
      if (source.type === 'IndexRange' && after === undefined && source.range.every((e) => e.type === 'Eq')) {
        // Equality on every field of the index: one hash lookup when the values are strings.
        const found = lookupEqual(index, source.range.map((e) => decodeQueryValue(e.value)));
        if (found) {
          yield* found;
          return;
        }
      }
      let { lower, upper } =
        source.type === 'IndexRange'
          ? rangeBounds(source.range, decodeQueryValue)
          : { lower: [LOW] as IndexKey, upper: [HIGH] as IndexKey };
      if (after && order === 'asc' && compareKeys([...after, HIGH], lower) > 0)
        lower = [...after, HIGH];
      if (after && order === 'desc' && compareKeys([...after, LOW], upper) < 0)
        upper = [...after, LOW];
      if (compareKeys(lower, upper) > 0) return;
      if (order === 'asc') {
        for (const [key, slot] of index.tree.entries(lower)) {
          if (compareKeys(key, upper) > 0) return;
          yield slot.document;
        }
      } else {
        for (const [key, slot] of index.tree.entriesReversed(upper)) {
          if (compareKeys(key, lower) < 0) return;
          yield slot.document;
        }
      }
    }

    override _resolveQuerySource(query: SerializedQuery): ResolvedQuery {
      if (query.source.type === 'Search') return super._resolveQuerySource(query);
      const resolved = this.resolveWithoutDocuments(query);
      const window = this.pageWindow;
      const documents: StoredDocument[] = [];
      for (const document of this.walk(query.source, resolved.order, window?.after)) {
        if (window && documents.length >= window.max) {
          window.truncated = true;
          break;
        }
        documents.push(document);
      }
      return { ...resolved, sortedDocs: documents };
    }

    override _evaluateQuery(query: SerializedQuery): StoredDocument[] {
      if (query.source.type === 'Search') return super._evaluateQuery(query);
      const { filterFn, limit, order } = this.resolveWithoutDocuments(query);
      const results: StoredDocument[] = [];
      if (limit !== null && limit <= 0) return results;
      for (const document of this.walk(query.source, order)) {
        if (!filterFn(document)) {
          // convex-test counts a document read when it is returned; Convex counts every document the
          // query scans, so the ones a filter drops are counted here (returned ones by convex-test).
          this.countScannedRead?.(document);
          continue;
        }
        results.push(document);
        if (limit !== null && results.length >= limit) break;
      }
      return results;
    }

    override paginate(args: PaginateArgs): PageResult {
      if (args.query.source.type === 'Search') return super.paginate(args);
      const after =
        args.cursor === null || args.cursor === '_end_cursor'
          ? undefined
          : decodeCursor(args.cursor);
      // A cursor convex-test cannot read either: its own code reports it.
      if (args.cursor !== null && args.cursor !== '_end_cursor' && after === undefined)
        return super.paginate(args);
      // Past the end, convex-test skips every document: an empty window gives the same answer.
      const pastEnd = args.cursor === '_end_cursor';
      let max = pastEnd
        ? 0
        : Math.max(1, Math.min(args.pageSize, args.maximumRowsRead ?? Infinity)) + 1;
      for (;;) {
        const window: PageWindow = { after, max, truncated: false };
        this.pageWindow = window;
        let result: PageResult;
        try {
          result = super.paginate(args);
        } finally {
          this.pageWindow = undefined;
        }
        // Only an answer that ran to the end of a cut-short window can differ from the whole range's.
        if (pastEnd || !window.truncated || !result.isDone) return result;
        max *= 4;
      }
    }
  }

  indexedClasses.set(Base, Indexed);
  return Indexed;
}

export interface IndexedDatabase extends DatabaseFake {
  readonly tables: Map<string, TableIndexes>;
  visible(id: string): StoredDocument | null;
  /** Counts a document a query scanned but did not return against the transaction's read limits. */
  countScannedRead: ((document: StoredDocument) => void) | undefined;
  /** Loads a committed document (outside any transaction), replacing the one with its id. */
  loadCommitted(document: StoredDocument): void;
  /**
   * Loads committed documents (distinct ids, any order) into an empty store
   * in steps, building each index at once from its sorted keys: what a
   * restart does. A generator that yields between steps (sortInSteps.ts runs
   * it); the store changes only at the last step.
   */
  loadAllCommitted(documents: readonly StoredDocument[]): Generator<void, void, void>;
}
