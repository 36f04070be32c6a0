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
 *   an empty backend without running any function and builds the indexes
 *   (each at once from its sorted keys; `importDocumentsPaced` does it in
 *   steps that let the event loop run, for a restart);
 *   the counters are raised to at least what the documents imply, so new ids
 *   and creation times never collide with loaded ones. Documents whose table
 *   the schema validates are not re-validated (they were valid when written).
 *
 * convex-test's internals are reached through convexTestInternals.ts (the
 * one module that does, shared with the stand-in's persistence);
 * `attachIndexedStore` refuses a convex-test whose database lacks the members
 * the indexed store overrides.
 */
import type { GenericSchema, SchemaDefinition } from 'convex/server';
import { getDocumentSize, type Value } from 'convex/values';
import {
  reachConvexGlobal,
  rootDatabase,
  ROOT_COMPONENT,
  type AnyTestConvex,
  type ConvexGlobal,
  type DatabaseFakeClass,
} from './convexTestInternals.js';
import { indexedDatabaseClass, type IndexedDatabase } from './indexedDatabase.js';
import { runPaced, runToEnd } from './sortInSteps.js';
import { tableOfId, type StoredDocument } from './tableIndexes.js';

export type { StoredDocument } from './tableIndexes.js';

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

const attached = new WeakMap<object, { global: ConvexGlobal; db: IndexedDatabase }>();

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
  let global: ConvexGlobal;
  let root: ReturnType<typeof rootDatabase>;
  try {
    global = reachConvexGlobal(backend);
    root = rootDatabase(global);
  } catch (err) {
    throw new Error(`indexed store: ${(err as Error).message}`, { cause: err });
  }
  const Base = Object.getPrototypeOf(root).constructor as DatabaseFakeClass;
  if (root._writes.length > 0 || Object.keys(root._documents).length > 0) {
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
  global.components[ROOT_COMPONENT]!.db = db;
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
    for (const indexes of tables) yield* indexes.documents();
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

/**
 * Loads exported documents into an empty backend, without running functions,
 * and builds its indexes (each at once, from its sorted keys).
 */
export function importDocuments(
  backend: AnyTestConvex,
  documents: Iterable<StoredDocument>,
  counters: StoreCounters,
): { documents: number } {
  return runToEnd(importSteps(backend, documents, counters));
}

/**
 * importDocuments in steps, awaiting `pause` between them (every few
 * milliseconds of work): a restart's pause yields to the event loop, so a
 * stop signal is handled while a million documents load, and may throw to
 * stop the load, which then leaves the backend empty.
 */
export function importDocumentsPaced(
  backend: AnyTestConvex,
  documents: Iterable<StoredDocument>,
  counters: StoreCounters,
  pause: () => Promise<void> | void,
): Promise<{ documents: number }> {
  return runPaced(importSteps(backend, documents, counters), pause);
}

const CHECKS_PER_STEP = 4096;

function* importSteps(
  backend: AnyTestConvex,
  documents: Iterable<StoredDocument>,
  counters: StoreCounters,
): Generator<void, { documents: number }, void> {
  const { global, db } = attachedStore(backend);
  assertIdle(global, db, 'importDocuments');
  if ([...db.tables.values()].some((indexes) => indexes.size > 0))
    throw new Error('importDocuments: the backend already holds documents');
  const all: StoredDocument[] = [];
  // Never lowered: a fresh backend's own starting counters stay when the documents' are below them.
  let nextDocId = Math.max(db._nextDocId, counters.nextDocId);
  let lastCreationTime = Math.max(db._lastCreationTime, counters.lastCreationTime);
  for (const document of documents) {
    const { _id: id, _creationTime: creationTime } = document;
    if (typeof id !== 'string' || !/^[0-9]+[^0-9]/.test(id) || typeof creationTime !== 'number') {
      throw new Error(`importDocuments: document ${all.length} has no valid _id / _creationTime`);
    }
    const idCounter = Number(id.slice(0, id.length - tableOfId(id).length));
    if (idCounter >= nextDocId) nextDocId = idCounter + 1;
    if (creationTime > lastCreationTime) lastCreationTime = creationTime;
    all.push(document);
    if (all.length % CHECKS_PER_STEP === 0) yield;
  }
  try {
    yield* db.loadAllCommitted(all);
  } catch (err) {
    throw new Error(`importDocuments: ${(err as Error).message}`, { cause: err });
  }
  db._nextDocId = nextDocId;
  db._lastCreationTime = lastCreationTime;
  if (counters.lastCommitTs > global.transactionManager._lastCommitTs) {
    global.transactionManager._lastCommitTs = counters.lastCommitTs;
  }
  return { documents: all.length };
}
