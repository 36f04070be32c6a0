/**
 * The stand-in's access to convex-test's in-memory database. The stand-in
 * persists documents, not function calls, so it needs three things
 * convex-test has no public API for: every committed document (for a
 * snapshot), a way to load documents back without running functions
 * (restart), and the effects of each committed transaction (the log).
 * convex-test's internals themselves are reached through
 * src/convex/indexedStore/convexTestInternals.ts, the one module that does
 * (the indexed store uses it too).
 *
 * A commit replaces document objects, it never changes one in place, which is
 * what makes a copy of the references in `_documents` a consistent snapshot.
 */
import type { ConvexBackend } from '../convex/convexBackend.js';
import {
  reachConvexGlobal,
  rootDatabase,
  type ConvexGlobal,
  type DatabaseFake,
} from '../convex/indexedStore/convexTestInternals.js';
import type { StoredDocument } from '../convex/indexedStore/tableIndexes.js';

export type { StoredDocument } from '../convex/indexedStore/tableIndexes.js';

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

/** The indexed store's database (every backend createConvexBackend makes) also puts loaded documents in its indexes. */
type StoreDatabase = DatabaseFake & { loadCommitted?(document: StoredDocument): void };

function reachStore(backend: ConvexBackend): { global: ConvexGlobal; db: StoreDatabase } {
  try {
    const global = reachConvexGlobal(backend);
    return { global, db: rootDatabase(global) };
  } catch (err) {
    throw new Error(`storeAccess: ${(err as Error).message}`, { cause: err });
  }
}

function readCounters(global: ConvexGlobal, db: DatabaseFake): StoreCounters {
  return {
    nextDocId: db._nextDocId,
    lastCreationTime: db._lastCreationTime,
    lastCommitTs: global.transactionManager._lastCommitTs.toString(),
  };
}

/**
 * Every committed document and the counters, at this instant. The array holds
 * references to documents that commits never change, so it stays a consistent
 * point-in-time view while later mutations run; call it between transactions.
 */
export function exportDocuments(backend: ConvexBackend): { documents: StoredDocument[]; counters: StoreCounters } {
  const { global, db } = reachStore(backend);
  return { documents: Object.values(db._documents), counters: readCounters(global, db) };
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
  const { global, db } = reachStore(backend);
  if (db._writes.length > 0) throw new Error('importDocuments: a transaction is open');
  // The indexed store (every backend createConvexBackend makes) must index what
  // it loads; plain convex-test only has the id map.
  if (db.loadCommitted) for (const doc of docs) db.loadCommitted(doc);
  else for (const doc of docs) db._documents[doc._id] = doc;
  db._nextDocId = Math.max(db._nextDocId, counters.nextDocId);
  db._lastCreationTime = Math.max(db._lastCreationTime, counters.lastCreationTime);
  const commitTs = BigInt(counters.lastCommitTs);
  const manager = global.transactionManager;
  if (commitTs > manager._lastCommitTs) manager._lastCommitTs = commitTs;
}

/**
 * Calls `listener` right after each top-level transaction commits with its
 * effects (nested transactions merge into their parent and are reported with
 * it; rolled-back ones never reach commit). The listener runs inside the
 * commit, before the function's caller sees its result, so it must not throw.
 */
export function onCommit(backend: ConvexBackend, listener: (effects: CommitEffects) => void): void {
  const { global, db } = reachStore(backend);
  const commit = db.commit.bind(db);
  db.commit = (commitTs?: bigint | null) => {
    const topLevel = db._writes.length === 1;
    const ids = topLevel ? Object.keys(db._writes[0]!) : [];
    commit(commitTs);
    if (ids.length === 0) return;
    listener({
      writes: ids.map((id) => [id, db._documents[id] ?? null]),
      counters: readCounters(global, db),
    });
  };
}
