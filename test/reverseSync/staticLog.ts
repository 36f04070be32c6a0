/**
 * A change log that is a fixed list of entries, and builders for the ledger's
 * entries: for tests that drive one page or one worker step at a time.
 */
import type { ChangeLogEntry, ChangeLogSource } from '../../src/reverseSync/changeLog.js';

export function staticSource(entries: ChangeLogEntry[]): ChangeLogSource {
  const after = (cursor: number) => entries.filter((e) => e.seq > cursor);
  return {
    readChangeLog: async (cursor, limit) => ({ entries: after(cursor).slice(0, limit), head: 0 }),
    pendingChanges: async (cursor) => ({ pending: after(cursor).length, capped: false, oldestLoggedAt: null }),
    pruneChangeLog: async () => ({ deleted: 0, more: false }),
    raiseVersionFloor: async (floor) => floor,
  };
}

export const account = (code: string, balance: string, holder = `Holder of ${code}`) => ({
  code,
  holder,
  balance,
  opened_at: null,
  tags: null,
});

/** Builds entries with seq = version, numbered on from `first`. */
export function log(
  first: number,
  changes: Array<Omit<ChangeLogEntry, 'seq' | 'version' | 'loggedAt'>>,
): ChangeLogEntry[] {
  return changes.map((change, i) => ({ ...change, seq: first + i, version: first + i, loggedAt: 0 }));
}

export const upsert = (table: string, pgKey: string, doc: Record<string, unknown>) =>
  ({ table, pgKey, op: 'upsert', doc }) as const;
export const remove = (table: string, pgKey: string) => ({ table, pgKey, op: 'delete' }) as const;
