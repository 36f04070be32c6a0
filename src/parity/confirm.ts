/**
 * Turns candidate drift into findings. Postgres and Convex are read at
 * different moments and the relay may be behind, so every candidate key is
 * looked at again: keys with events still pending in the outbox are waited for
 * (bounded), then each key is read on both sides and classified afresh. A key
 * still pending after the wait is reported as pending, not as drift.
 */
import type pg from 'pg';
import { ConfigError } from '../core/errors.js';
import type { HashedRow, ParityReader } from '../convex/target.js';
import { canonicalValue, type TableConfig } from '../mapping/index.js';
import { convexRowsByKeys } from './convexReads.js';
import { compareKeyText } from './digest.js';
import type { ColumnDifference, DriftCandidates } from './findings.js';
import { keyValue, type KeyValue } from './keys.js';
import { pgRowsByKeys, type PgRow } from './pgRows.js';
import type { UnrepresentableRow } from './findings.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** Which store writes a table: Postgres (the mirror's direction) or Convex (after its write cutover). */
export type WriteSource = 'postgres' | 'convex';

/** Keys of a table with changes not yet applied to the other store. */
export type PendingKeysReader = (table: string, keys: readonly string[]) => Promise<Set<string>>;

export interface ConfirmOptions {
  /**
   * Which side writes each table (default postgres); the CLI reads it from the
   * saved write groups (reverseSync/writeSources.ts). A table written in Convex
   * waits for its change log (reverse sync) instead of the outbox.
   */
  sources?: Readonly<Record<string, WriteSource>>;
  /** Pending keys of Convex-written tables: the change log after the reverse-sync cursor (src/reverseSync). */
  convexPendingKeys?: PendingKeysReader;
  /** How long to wait for pending outbox events of candidate keys. Default 10 s. */
  pendingWaitMs?: number;
  /** How many different keys get their differing columns listed. Default 5. */
  detailLimit?: number;
}

export interface ConfirmedDrift {
  missing: KeyValue[];
  extra: KeyValue[];
  different: KeyValue[];
  pending: KeyValue[];
  differences: ColumnDifference[];
  /** Drifted rows whose Postgres values Convex cannot store, with the mapping's reason. */
  unrepresentable: UnrepresentableRow[];
  /** Canonical key texts of every drifted key, by kind (for history and repair). */
  keys: { missing: string[]; extra: string[]; different: string[]; pending: string[] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function pendingKeys(pool: pg.Pool, tool: ToolSchema, table: string, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await pool.query<{ key: string }>(
    `SELECT DISTINCT key FROM ${tool.sql}.outbox
      WHERE status = 'pending' AND table_name = $1 AND key = ANY($2::text[])`,
    [table, keys],
  );
  return new Set(rows.map((r) => r.key));
}

async function waitForPending(read: PendingKeysReader, table: string, keys: string[], waitMs: number): Promise<Set<string>> {
  const deadline = Date.now() + waitMs;
  let pending = await read(table, keys);
  while (pending.size > 0 && Date.now() < deadline) {
    await sleep(Math.min(200, Math.max(1, deadline - Date.now())));
    pending = await read(table, [...pending]);
  }
  return pending;
}

/** Where a table's unapplied changes wait: the outbox, or Convex's change log when Convex writes it. */
export function pendingKeysReader(pool: pg.Pool, tool: ToolSchema, table: string, options: ConfirmOptions): PendingKeysReader {
  if ((options.sources?.[table] ?? 'postgres') === 'postgres') return (t, keys) => pendingKeys(pool, tool, t, keys);
  if (!options.convexPendingKeys)
    throw new ConfigError('sources', `${table} is written in Convex: parity needs the change log's pending keys (convexPendingKeys)`);
  return options.convexPendingKeys;
}

function differingColumns(table: TableConfig, pg: PgRow, convex: HashedRow): ColumnDifference['columns'] {
  return table.columns
    .map((c) => c.name)
    .filter((name) => canonicalValue(pg.columns[name]) !== canonicalValue(convex.columns[name]))
    .map((column) =>
      column in convex.columns && convex.columns[column] !== undefined
        ? { column, postgres: pg.columns[column], convex: convex.columns[column] }
        : // JSON has no "absent": convex stays null for readers of the old shape, and convexMissing
          // tells the missing field from a stored null.
          { column, postgres: pg.columns[column], convex: null, convexMissing: true as const },
    );
}

export async function confirmDrift(
  pool: pg.Pool, tool: ToolSchema,
  reader: ParityReader,
  table: TableConfig,
  candidates: DriftCandidates,
  options: ConfirmOptions = {},
): Promise<ConfirmedDrift> {
  const all = [...new Set([...candidates.missing, ...candidates.extra, ...candidates.different])].sort(compareKeyText);
  const read = pendingKeysReader(pool, tool, table.name, options);
  const pending = await waitForPending(read, table.name, all, options.pendingWaitMs ?? 10_000);
  const settled = all.filter((k) => !pending.has(k));
  const pgRows = await pgRowsByKeys(pool, table, settled);
  const convexRows = await convexRowsByKeys(reader, table.name, settled);
  const keys: ConfirmedDrift['keys'] = { missing: [], extra: [], different: [], pending: [...pending].sort(compareKeyText) };
  const differences: ColumnDifference[] = [];
  const unrepresentable: UnrepresentableRow[] = [];
  for (const key of settled) {
    const [pg, convex] = [pgRows.get(key), convexRows.get(key)];
    if (pg?.unrepresentable) unrepresentable.push({ key: keyValue(table, key), ...pg.unrepresentable });
    if (pg && !convex) keys.missing.push(key);
    else if (!pg && convex) keys.extra.push(key);
    else if (pg && convex && pg.hash !== convex.hash) {
      keys.different.push(key);
      if (!pg.unrepresentable && differences.length < (options.detailLimit ?? 5))
        differences.push({ key: keyValue(table, key), columns: differingColumns(table, pg, convex) });
    }
  }
  const values = (list: string[]) => list.map((k) => keyValue(table, k));
  return {
    missing: values(keys.missing),
    extra: values(keys.extra),
    different: values(keys.different),
    pending: values(keys.pending),
    differences,
    unrepresentable,
    keys,
  };
}
