/**
 * Applies one change-log entry to Postgres, versioned per key: the newest
 * Convex version applied to a key is kept in tandem.reverse_sync_key (same
 * transaction), and an entry at or below it changes nothing, so a replay or
 * an old change after a new one is a no-op. Values go through the inverse
 * mapping (pgValues.ts) into jsonb_populate_record, so Postgres's own input
 * functions parse every type. The caller's transaction must have set
 * tandem.reverse_sync = 'on' (capture ignores the write; a freeze lets it in).
 */
import type pg from 'pg';
import { canonicalKey } from '../core/changes.js';
import {
  MappingError,
  findTable,
  qualifiedTable,
  quoteIdentifier,
  type MirrorConfig,
  type TableConfig,
} from '../mapping/index.js';
import type { ChangeLogEntry } from './changeLog.js';
import { keyRecord, toPgRecord } from './pgValues.js';

export type ReverseApplyOutcome = 'applied' | 'skipped';

export interface ReverseApplyOptions {
  /**
   * Repair: also apply an entry whose version equals the one recorded (the
   * row drifted under the same version); a newer recorded version still wins.
   */
  sameVersion?: boolean;
}

function requireMirrored(config: MirrorConfig, entry: Pick<ChangeLogEntry, 'table' | 'pgKey'>): TableConfig {
  const table = findTable(config, entry.table);
  if (!table)
    throw new MappingError(entry.table, entry.pgKey, null, 'unknown-table', 'table is not in the mirror configuration');
  return table;
}

function upsertSql(table: TableConfig, columns: string[]): string {
  const list = columns.map(quoteIdentifier).join(', ');
  const keys = table.primaryKey.map(quoteIdentifier).join(', ');
  const updates = columns
    .filter((c) => !table.primaryKey.includes(c))
    .map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`);
  const conflict = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  return `INSERT INTO ${qualifiedTable(table)} (${list})
          SELECT ${list} FROM jsonb_populate_record(NULL::${qualifiedTable(table)}, $1::jsonb)
          ON CONFLICT (${keys}) ${conflict}`;
}

function deleteSql(table: TableConfig): string {
  const keys = table.primaryKey.map(quoteIdentifier).join(', ');
  return `DELETE FROM ${qualifiedTable(table)}
           WHERE (${keys}) = (SELECT ${keys} FROM jsonb_populate_record(NULL::${qualifiedTable(table)}, $1::jsonb))`;
}

/** The key text of a row in Convex terms, as the change log computed it. */
function rowKeyText(table: TableConfig, row: Record<string, unknown>): string {
  return canonicalKey(table.primaryKey.map((name) => row[name]));
}

/** Applies one entry inside the caller's transaction. Bad data throws a MappingError (not worth a retry). */
export async function applyReverseChange(
  client: pg.ClientBase,
  config: MirrorConfig,
  entry: ChangeLogEntry,
  options: ReverseApplyOptions = {},
): Promise<ReverseApplyOutcome> {
  const table = requireMirrored(config, entry);
  const { rows } = await client.query<{ version: string }>(
    'SELECT version FROM tandem.reverse_sync_key WHERE table_name = $1 AND key = $2 FOR UPDATE',
    [table.name, entry.pgKey],
  );
  const recorded = rows[0] ? Number(rows[0].version) : -Infinity;
  if (entry.version < recorded || (entry.version === recorded && !options.sameVersion)) return 'skipped';
  if (entry.op === 'delete') {
    await client.query(deleteSql(table), [JSON.stringify(keyRecord(table, entry.pgKey))]);
  } else {
    if (!entry.doc)
      throw new MappingError(table.name, entry.pgKey, null, 'missing-column', 'upsert without a row');
    const record = toPgRecord(table, entry.pgKey, entry.doc);
    const key = rowKeyText(table, entry.doc);
    if (key !== entry.pgKey)
      throw new MappingError(table.name, entry.pgKey, null, 'primary-key', `row has key ${key}, the change log says ${entry.pgKey}`);
    await client.query(upsertSql(table, Object.keys(record)), [JSON.stringify(record)]);
  }
  await client.query(
    `INSERT INTO tandem.reverse_sync_key (table_name, key, version) VALUES ($1, $2, $3)
     ON CONFLICT (table_name, key) DO UPDATE SET version = EXCLUDED.version`,
    [table.name, entry.pgKey, entry.version],
  );
  return 'applied';
}
