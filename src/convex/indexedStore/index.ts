/**
 * The indexed store: convex-test with real indexes (indexedDatabase.ts), put
 * in place of a fresh convex-test instance's database by `attachIndexedStore`.
 * `createConvexBackend` does this for every backend, so the embedded target
 * and the local stand-in both get it.
 *
 * For persistence (a snapshot of documents instead of a replay of mutations):
 *
 * - `exportDocuments(backend)` returns every committed document of every
 *   table (system fields included, `_storage` and `_scheduled_functions`
 *   documents too) in creation order, plus the `counters` convex-test needs
 *   to carry on where it stopped: the next document id, the last creation
 *   time and the last commit timestamp. Call it between functions (the
 *   stand-in runs mutations one at a time); during a transaction it throws.
 *   The documents are the store's own objects: serialize them before the
 *   next mutation runs, and never modify them.
 * - `importDocuments(backend, documents, counters)` loads such documents into
 *   an empty backend without running any function and builds the indexes;
 *   the counters are raised to at least what the documents imply, so new ids
 *   and creation times never collide with loaded ones. Documents whose table
 *   the schema validates are not re-validated (they were valid when written).
 *
 * How the database is reached: convex-test keeps it in a per-instance object
 * (its "Convex global") that it publishes only through an AsyncLocalStorage
 * it creates itself, entered on every call of the instance's methods. The
 * one place that reaches into it is `captureConvexGlobal` below; it relies on
 * convex-test 0.0.60 (pinned in package.json), and `attachIndexedStore`
 * refuses a version whose database lacks the members it overrides.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TestConvex } from 'convex-test';
import type { GenericSchema, SchemaDefinition } from 'convex/server';
import { getDocumentSize, type Value } from 'convex/values';
import {
  DATABASE_FAKE_MEMBERS,
  indexedDatabaseClass,
  tableOfId,
  type DatabaseFake,
  type DatabaseFakeClass,
  type IndexedDatabase,
  type StoredDocument,
} from './indexedDatabase.js';

export type { StoredDocument } from './indexedDatabase.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTestConvex = TestConvex<SchemaDefinition<any, boolean>>;

interface ConvexGlobal {
  components: Record<string, { db: DatabaseFake }>;
  transactionManager: {
    _lastCommitTs: bigint;
    isInTransaction(): boolean;
    getMetricsTracker(): { trackRead(bytes: number): void } | null;
  };
}

export interface IndexedStoreOptions {
  /**
   * Count documents a query scans but its filter drops against the read
   * limits, as Convex does (convex-test counts only returned documents).
   * Default true; false reproduces convex-test's accounting exactly.
   */
  countFilteredReads?: boolean;
}

/** What convex-test needs, besides the documents, to continue a loaded database. */
export interface StoreCounters {
  /** The counter of the next generated document id. */
  nextDocId: number;
  /** The `_creationTime` of the last inserted document (the next one is later). */
  lastCreationTime: number;
  /** The last commit timestamp (ns), as bigint. */
  lastCommitTs: bigint;
}

export interface ExportedStore {
  documents: Iterable<StoredDocument>;
  counters: StoreCounters;
}

const ROOT_COMPONENT = '';
const attached = new WeakMap<object, { global: ConvexGlobal; db: IndexedDatabase }>();

function isConvexGlobal(store: unknown): store is ConvexGlobal {
  return (
    typeof store === 'object' &&
    store !== null &&
    'components' in store &&
    'transactionManager' in store &&
    'asyncSyscall' in store
  );
}

/**
 * The instance's Convex global, caught as the instance enters its
 * AsyncLocalStorage (every method of a convex-test instance does, first
 * thing, synchronously). `finishInProgressScheduledFunctions` is the method
 * used because it does nothing when nothing is scheduled.
 */
function captureConvexGlobal(backend: AnyTestConvex): ConvexGlobal {
  const run = AsyncLocalStorage.prototype.run;
  let captured: ConvexGlobal | undefined;
  AsyncLocalStorage.prototype.run = function <R>(
    this: AsyncLocalStorage<unknown>,
    store: unknown,
    callback: (...args: unknown[]) => R,
    ...args: unknown[]
  ): R {
    if (captured === undefined && isConvexGlobal(store)) captured = store;
    return run.call(this, store, callback, ...args) as R;
  } as typeof run;
  try {
    void backend.finishInProgressScheduledFunctions();
  } finally {
    AsyncLocalStorage.prototype.run = run;
  }
  if (!captured) {
    throw new Error(
      "indexed store: could not reach convex-test's database (the convex-test version differs from the one pinned in package.json)",
    );
  }
  return captured;
}

/**
 * Replaces the database of a fresh convex-test instance by the indexed one.
 * `schema` must be the one the instance was created with.
 */
export function attachIndexedStore(
  backend: AnyTestConvex,
  schema: SchemaDefinition<GenericSchema, boolean> | null,
  options: IndexedStoreOptions = {},
): void {
  if (attached.has(backend)) return;
  const global = captureConvexGlobal(backend);
  const root = global.components[ROOT_COMPONENT];
  if (!root) throw new Error('indexed store: convex-test instance has no root component');
  const Base = Object.getPrototypeOf(root.db).constructor as DatabaseFakeClass;
  const missing = DATABASE_FAKE_MEMBERS.filter(
    (member) => typeof Base.prototype[member] !== 'function',
  );
  if (
    missing.length > 0 ||
    !Array.isArray(root.db._writes) ||
    typeof root.db._documents !== 'object'
  ) {
    throw new Error(
      `indexed store: convex-test's DatabaseFake lacks ${missing.join(', ') || 'its write stack'} (written for convex-test 0.0.60, pinned in package.json)`,
    );
  }
  if (root.db._writes.length > 0 || Object.keys(root.db._documents).length > 0) {
    throw new Error(
      'indexed store: attach it to a fresh convex-test instance, before any function runs',
    );
  }
  const Indexed = indexedDatabaseClass(Base);
  const db = new Indexed(schema, ROOT_COMPONENT);
  if (options.countFilteredReads ?? true) {
    db.countScannedRead = (document) =>
      global.transactionManager
        .getMetricsTracker()
        ?.trackRead(getDocumentSize(document as Record<string, Value>));
  }
  root.db = db;
  attached.set(backend, { global, db });
}

function attachedStore(backend: AnyTestConvex): { global: ConvexGlobal; db: IndexedDatabase } {
  const store = attached.get(backend);
  if (!store)
    throw new Error(
      'this convex-test instance has no indexed store (create it with createConvexBackend)',
    );
  return store;
}

function assertIdle(global: ConvexGlobal, db: IndexedDatabase, what: string): void {
  if (global.transactionManager.isInTransaction() || db._writes.length > 0) {
    throw new Error(`${what}: a function is running; call it between functions`);
  }
}

/** Every committed document, in creation order per table, and the counters to continue from. */
export function exportDocuments(backend: AnyTestConvex): ExportedStore {
  const { global, db } = attachedStore(backend);
  assertIdle(global, db, 'exportDocuments');
  const tables = [...db.tables.values()];
  function* documents(): Generator<StoredDocument> {
    for (const indexes of tables) yield* indexes.byCreationTime.tree.values();
  }
  return {
    documents: documents(),
    counters: {
      nextDocId: db._nextDocId,
      lastCreationTime: db._lastCreationTime,
      lastCommitTs: global.transactionManager._lastCommitTs,
    },
  };
}

/** Loads exported documents into an empty backend, without running functions, and builds its indexes. */
export function importDocuments(
  backend: AnyTestConvex,
  documents: Iterable<StoredDocument>,
  counters: StoreCounters,
): { documents: number } {
  const { global, db } = attachedStore(backend);
  assertIdle(global, db, 'importDocuments');
  if (Object.keys(db._documents).length > 0)
    throw new Error('importDocuments: the backend already holds documents');
  let count = 0;
  let nextDocId = counters.nextDocId;
  let lastCreationTime = counters.lastCreationTime;
  try {
    for (const document of documents) {
      const { _id: id, _creationTime: creationTime } = document;
      if (typeof id !== 'string' || !/^[0-9]+[^0-9]/.test(id) || typeof creationTime !== 'number') {
        throw new Error(`importDocuments: document ${count} has no valid _id / _creationTime`);
      }
      if (db._documents[id] !== undefined) throw new Error(`importDocuments: duplicate _id ${id}`);
      db.loadCommitted(document);
      nextDocId = Math.max(nextDocId, Number(id.slice(0, id.length - tableOfId(id).length)) + 1);
      lastCreationTime = Math.max(lastCreationTime, creationTime);
      count += 1;
    }
  } catch (err) {
    // Never half-loaded: the backend was empty, so it is emptied again.
    db._documents = {};
    db.tables.clear();
    throw err;
  }
  db._nextDocId = nextDocId;
  db._lastCreationTime = lastCreationTime;
  if (counters.lastCommitTs > global.transactionManager._lastCommitTs) {
    global.transactionManager._lastCommitTs = counters.lastCommitTs;
  }
  return { documents: count };
}
