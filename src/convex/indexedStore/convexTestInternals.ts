/**
 * The one module that reaches inside convex-test (0.0.60, pinned in
 * package.json): the indexed store (index.ts) and the stand-in's persistence
 * (src/convexLocal/storeAccess.ts) both go through it, so a new convex-test
 * version is checked in one place.
 *
 * convex-test keeps its state in a per-instance object, its "Convex global":
 * per component a `DatabaseFake` (committed documents in `_documents`, id →
 * document; pending writes per nesting level in `_writes`; the id and
 * creation-time counters `_nextDocId` and `_lastCreationTime`), and a
 * `TransactionManager` with `_lastCommitTs`. It publishes that object only
 * through an AsyncLocalStorage it creates itself and enters, synchronously
 * and first thing, in every method of the instance. `reachConvexGlobal`
 * watches `AsyncLocalStorage#run` for the length of one such call and keeps
 * the object it sees; nothing else runs in between, and `run` is restored
 * before it returns.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TestConvex } from 'convex-test';
import type { SchemaDefinition } from 'convex/server';
import type { PageResult, PaginateArgs, ResolvedQuery, SerializedQuery } from './serializedQuery.js';
import type { SchemaIndex, StoredDocument } from './tableIndexes.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTestConvex = TestConvex<SchemaDefinition<any, boolean>>;

export type WriteLayer = Record<string, StoredDocument | null>;

/** The members of convex-test's DatabaseFake the indexed store and persistence rely on. */
export interface DatabaseFake {
  _documents: Record<string, StoredDocument>;
  _writes: WriteLayer[];
  _schema: { tables: Map<string, { indexes: SchemaIndex[] }> } | null;
  _nextDocId: number;
  _lastCreationTime: number;
  _queryResults: Record<number, StoredDocument[]>;
  _addWrite(id: string, value: StoredDocument | null): void;
  _validate(tableName: string, document: Record<string, unknown>): void;
  commit(commitTs?: bigint | null): void;
  rollbackWrites(): void;
  stashWrites(): WriteLayer[];
  restoreWrites(stashed: WriteLayer[]): void;
  queryNext(queryId: number): { value: StoredDocument | null; done: boolean };
  _iterateDocs(tableName: string, callback: (document: StoredDocument) => void): void;
  _resolveQuerySource(query: SerializedQuery): ResolvedQuery;
  _evaluateQuery(query: SerializedQuery): StoredDocument[];
  paginate(args: PaginateArgs): PageResult;
}

/** The methods the indexed store overrides or calls: checked before it is attached. */
export const DATABASE_FAKE_MEMBERS = [
  '_addWrite',
  '_validate',
  'commit',
  'rollbackWrites',
  'stashWrites',
  'restoreWrites',
  'queryNext',
  '_iterateDocs',
  '_resolveQuerySource',
  '_evaluateQuery',
  'paginate',
] as const;

// A mixin's base must be typed with a rest parameter of any[] (TypeScript's rule for mixins).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DatabaseFakeClass = new (...args: any[]) => DatabaseFake;

export interface ConvexGlobal {
  components: Record<string, { db: DatabaseFake }>;
  transactionManager: {
    _lastCommitTs: bigint;
    isInTransaction(): boolean;
    getMetricsTracker(): { trackRead(bytes: number): void } | null;
  };
}

/** The root component's path in convex-test (the app itself, not a registered component). */
export const ROOT_COMPONENT = '';

const VERSION_HINT = 'written for convex-test 0.0.60, pinned in package.json';
const globals = new WeakMap<object, ConvexGlobal>();

function isConvexGlobal(store: unknown): store is ConvexGlobal {
  const candidate = store as Partial<ConvexGlobal> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.components?.[ROOT_COMPONENT]?.db?._documents === 'object' &&
    typeof candidate.transactionManager === 'object' &&
    'asyncSyscall' in candidate
  );
}

/** The instance's Convex global (found once, then remembered). */
export function reachConvexGlobal(backend: AnyTestConvex): ConvexGlobal {
  const known = globals.get(backend);
  if (known) return known;
  const prototype = AsyncLocalStorage.prototype as unknown as {
    run: (store: unknown, callback: (...args: unknown[]) => unknown, ...args: unknown[]) => unknown;
  };
  const originalRun = prototype.run;
  let found: ConvexGlobal | undefined;
  prototype.run = function (this: unknown, store, callback, ...args) {
    if (found === undefined && isConvexGlobal(store)) found = store;
    return originalRun.call(this, store, callback, ...args);
  };
  let pending: Promise<unknown>;
  try {
    // Enters the global without opening a transaction: it does nothing when nothing is scheduled.
    pending = backend.finishInProgressScheduledFunctions();
  } finally {
    prototype.run = originalRun;
  }
  pending.catch(() => undefined);
  if (!found) throw new Error(`could not reach convex-test's database (${VERSION_HINT})`);
  globals.set(backend, found);
  return found;
}

/** The root component's database, checked to have every member this code relies on. */
export function rootDatabase(global: ConvexGlobal): DatabaseFake {
  const root = global.components[ROOT_COMPONENT];
  if (!root) throw new Error('convex-test instance has no root component');
  const prototype = Object.getPrototypeOf(root.db) as Record<string, unknown>;
  const missing = DATABASE_FAKE_MEMBERS.filter((member) => typeof prototype[member] !== 'function');
  if (
    missing.length > 0 ||
    !Array.isArray(root.db._writes) ||
    typeof root.db._documents !== 'object' ||
    typeof root.db._queryResults !== 'object'
  ) {
    throw new Error(
      `convex-test's DatabaseFake lacks ${missing.join(', ') || 'its write stack'} (${VERSION_HINT})`,
    );
  }
  return root.db;
}
