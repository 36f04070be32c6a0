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
import { importDocumentsPaced } from '../convex/indexedStore/index.js';

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

function reachStore(backend: ConvexBackend): { global: ConvexGlobal; db: DatabaseFake } {
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
 * Loads documents (distinct ids) into the empty store without running any
 * function, building each index at once, and raises the counters to at least
 * `counters`. Awaits `pause` every few milliseconds of work; a pause that
 * throws stops the load and leaves the store empty.
 */
export async function loadDocuments(
  backend: ConvexBackend,
  docs: Iterable<StoredDocument>,
  counters: StoreCounters,
  pause: () => Promise<void>,
): Promise<void> {
  await importDocumentsPaced(backend, docs, { ...counters, lastCommitTs: BigInt(counters.lastCommitTs) }, pause);
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
