/**
 * The one place that reaches inside convex-test's in-memory database (written
 * against convex-test 0.0.60). The stand-in persists documents, not function
 * calls, so it needs three things convex-test has no public API for: every
 * committed document (for a snapshot), a way to load documents back without
 * running functions (restart), and the effects of each committed transaction
 * (the log). Keeping that access here means a change of store (the indexed
 * store) or of convex-test's internals touches this file only.
 *
 * convex-test keeps, per component, a `DatabaseFake` with committed documents
 * in `_documents` (id → document; a commit replaces document objects, it never
 * changes one in place, which is what makes a copy of the references a
 * consistent snapshot), pending writes per nesting level in `_writes`, and the
 * id and creation-time counters `_nextDocId` and `_lastCreationTime`; its
 * `TransactionManager` keeps `_lastCommitTs`. Both live on a per-backend global
 * that convex-test binds with an AsyncLocalStorage around every call and does
 * not export; `reachInternals` picks it up as a backend call enters it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConvexBackend } from '../convex/convexBackend.js';

/** A committed document, system fields included, as convex-test stores it (Convex values). */
export type StoredDocument = Record<string, unknown> & { _id: string; _creationTime: number };

/** The counters that make ids, creation times and commit timestamps continue where they stopped. */
export interface StoreCounters {
  nextDocId: number;
  lastCreationTime: number;
  /** convex-test's last commit timestamp (nanoseconds), as a decimal string. */
  lastCommitTs: string;
}

/** What one top-level transaction changed: each written id with its committed document, or null when deleted. */
export interface CommitEffects {
  writes: Array<[string, StoredDocument | null]>;
  counters: StoreCounters;
}

interface DatabaseFakeInternals {
  _documents: Record<string, StoredDocument>;
  _writes: Array<Record<string, StoredDocument | null>>;
  _nextDocId: number;
  _lastCreationTime: number;
  commit(commitTs?: bigint | null): void;
  /** The indexed store's (src/convex/indexedStore): puts a committed document in its indexes too. */
  loadCommitted?(document: StoredDocument): void;
}

interface ConvexGlobalInternals {
  components: Record<string, { db: DatabaseFakeInternals }>;
  transactionManager: { _lastCommitTs: bigint };
}

/** The root component's path in convex-test (the app itself, not a registered component). */
const ROOT_COMPONENT = '';

const internalsByBackend = new WeakMap<object, ConvexGlobalInternals>();

function isConvexGlobal(store: unknown): store is ConvexGlobalInternals {
  const candidate = store as Partial<ConvexGlobalInternals> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.components?.[ROOT_COMPONENT]?.db?._documents === 'object' &&
    typeof candidate.transactionManager === 'object'
  );
}

/**
 * Every method of a convexTest backend enters `convexGlobalStorage.run(global, …)`
 * synchronously; watching AsyncLocalStorage#run for the length of one such call
 * hands us that global. Nothing else runs in between (the call is synchronous up
 * to that point), and the original method is back before this returns.
 */
function reachInternals(backend: ConvexBackend): ConvexGlobalInternals {
  const known = internalsByBackend.get(backend);
  if (known) return known;
  const prototype = AsyncLocalStorage.prototype as unknown as {
    run: (store: unknown, callback: (...args: unknown[]) => unknown, ...args: unknown[]) => unknown;
  };
  const originalRun = prototype.run;
  let found: ConvexGlobalInternals | undefined;
  prototype.run = function (this: unknown, store, callback, ...args) {
    if (found === undefined && isConvexGlobal(store)) found = store;
    return originalRun.call(this, store, callback, ...args);
  };
  let pending: Promise<unknown>;
  try {
    // Enters the global without opening a transaction (nothing is scheduled).
    pending = backend.finishInProgressScheduledFunctions();
  } finally {
    prototype.run = originalRun;
  }
  pending.catch(() => undefined);
  if (!found) {
    throw new Error('storeAccess: could not reach convex-test\'s database (written for convex-test 0.0.60; check its internals)');
  }
  internalsByBackend.set(backend, found);
  return found;
}

function rootDatabase(backend: ConvexBackend): DatabaseFakeInternals {
  return reachInternals(backend).components[ROOT_COMPONENT]!.db;
}

function readCounters(internals: ConvexGlobalInternals): StoreCounters {
  const db = internals.components[ROOT_COMPONENT]!.db;
  return {
    nextDocId: db._nextDocId,
    lastCreationTime: db._lastCreationTime,
    lastCommitTs: internals.transactionManager._lastCommitTs.toString(),
  };
}

/**
 * Every committed document and the counters, at this instant. The array holds
 * references to documents that commits never change, so it stays a consistent
 * point-in-time view while later mutations run; call it between transactions.
 */
export function exportDocuments(backend: ConvexBackend): { documents: StoredDocument[]; counters: StoreCounters } {
  const internals = reachInternals(backend);
  const db = internals.components[ROOT_COMPONENT]!.db;
  return { documents: Object.values(db._documents), counters: readCounters(internals) };
}

/**
 * Puts documents into the committed state without running any function (a
 * document with an id already there replaces it), and raises the counters to
 * at least `counters`. May be called repeatedly to load in chunks; never while
 * a transaction is open.
 */
export function importDocuments(
  backend: ConvexBackend,
  docs: Iterable<StoredDocument>,
  counters: StoreCounters,
): void {
  const internals = reachInternals(backend);
  const db = internals.components[ROOT_COMPONENT]!.db;
  if (db._writes.length > 0) throw new Error('importDocuments: a transaction is open');
  // The indexed store (every backend createConvexBackend makes) must index what
  // it loads; plain convex-test only has the id map.
  if (db.loadCommitted) for (const doc of docs) db.loadCommitted(doc);
  else for (const doc of docs) db._documents[doc._id] = doc;
  db._nextDocId = Math.max(db._nextDocId, counters.nextDocId);
  db._lastCreationTime = Math.max(db._lastCreationTime, counters.lastCreationTime);
  const commitTs = BigInt(counters.lastCommitTs);
  const manager = internals.transactionManager;
  if (commitTs > manager._lastCommitTs) manager._lastCommitTs = commitTs;
}

/**
 * Calls `listener` right after each top-level transaction commits with its
 * effects (nested transactions merge into their parent and are reported with
 * it; rolled-back ones never reach commit). The listener runs inside the
 * commit, before the function's caller sees its result, so it must not throw.
 */
export function onCommit(backend: ConvexBackend, listener: (effects: CommitEffects) => void): void {
  const internals = reachInternals(backend);
  const db = rootDatabase(backend);
  const commit = db.commit.bind(db);
  db.commit = (commitTs?: bigint | null) => {
    const topLevel = db._writes.length === 1;
    const ids = topLevel ? Object.keys(db._writes[0]!) : [];
    commit(commitTs);
    if (ids.length === 0) return;
    listener({
      writes: ids.map((id) => [id, db._documents[id] ?? null]),
      counters: readCounters(internals),
    });
  };
}
