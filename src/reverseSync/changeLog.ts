/**
 * The Convex change log as the reverse-sync worker sees it: the entry shape
 * (convex-kit/tandem/changeLog.ts writes it) and the port through which the
 * worker reads, counts and prunes it.
 */
import { makeFunctionReference } from 'convex/server';

export interface ChangeLogEntry {
  /** Position in the log; equal to `version`. */
  seq: number;
  table: string;
  /** Canonical key text (core/changes canonicalKey). */
  pgKey: string;
  op: 'upsert' | 'delete';
  /** The row version Convex gave the change: above every version applied to the key before it. */
  version: number;
  /** Every column of the row after the change, Convex values by Postgres column name (upsert only). */
  doc?: Record<string, unknown>;
  /** Milliseconds since the epoch when the mutation that logged it ran. */
  loggedAt: number;
}

export interface ChangeLogPage {
  entries: ChangeLogEntry[];
  /** The newest version Convex has drawn. */
  head: number;
}

export interface PendingChanges {
  /** Entries after the cursor (only the tables asked for); at least this many when `capped`. */
  pending: number;
  capped: boolean;
  oldestLoggedAt: number | null;
}

/** What the worker needs from Convex. */
export interface ChangeLogSource {
  readChangeLog(after: number, limit: number): Promise<ChangeLogPage>;
  pendingChanges(after: number, tables?: readonly string[]): Promise<PendingChanges>;
  /** Deletes entries up to `upTo` (already committed in Postgres). */
  pruneChangeLog(upTo: number): Promise<{ deleted: number; more: boolean }>;
  /** Raises Convex's version counter to at least `floor`; returns the counter. */
  raiseVersionFloor(floor: number): Promise<number>;
}

export const CHANGELOG_PATHS = {
  page: 'tandem/reverseSync:changeLogPage',
  pending: 'tandem/reverseSync:changeLogPending',
  prune: 'tandem/reverseSync:pruneChangeLog',
  raiseFloor: 'tandem/reverseSync:raiseVersionFloor',
} as const;

/** Anything that runs Convex functions by path: the embedded and http targets (FunctionTarget). */
export interface FunctionCaller {
  runQueryByPath(path: string, args: Record<string, unknown>): Promise<unknown>;
  runMutationByPath(path: string, args: Record<string, unknown>): Promise<unknown>;
}

/** The change log of the Convex folder a target runs (the kit's tandem/reverseSync functions). */
export function changeLogSource(target: FunctionCaller): ChangeLogSource {
  return {
    readChangeLog: async (after, limit) =>
      (await target.runQueryByPath(CHANGELOG_PATHS.page, { after, limit })) as ChangeLogPage,
    pendingChanges: async (after, tables) =>
      (await target.runQueryByPath(
        CHANGELOG_PATHS.pending,
        tables ? { after, tables: [...tables] } : { after },
      )) as PendingChanges,
    pruneChangeLog: async (upTo) =>
      (await target.runMutationByPath(CHANGELOG_PATHS.prune, { upTo })) as {
        deleted: number;
        more: boolean;
      },
    raiseVersionFloor: async (floor) =>
      (await target.runMutationByPath(CHANGELOG_PATHS.raiseFloor, { floor })) as number,
  };
}

/** Typed references, for callers holding a ConvexClient of their own. */
export const changeLogPageRef = makeFunctionReference<
  'query',
  { after: number; limit: number },
  ChangeLogPage
>(CHANGELOG_PATHS.page);
