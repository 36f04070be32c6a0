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
import {
  MappingError,
  findTable,
  qualifiedTable,
  quoteIdentifier,
  type MirrorConfig,
  type TableConfig,
} from '../mapping/index.js';
import { keyTextSql } from '../parity/keys.js';
import type { ChangeLogEntry } from './changeLog.js';
import { keyRecord, toPgRecord } from './pgValues.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type ReverseApplyOutcome = 'applied' | 'skipped';

export interface ReverseApplyOptions {
  /**
   * Repair: also apply an entry whose version equals the one recorded (the
   * row drifted under the same version); a newer recorded version still wins.
   */
  sameVersion?: boolean;
}

function requireMirrored(
  config: MirrorConfig,
  entry: Pick<ChangeLogEntry, 'table' | 'pgKey'>,
): TableConfig {
  const table = findTable(config, entry.table);
  if (!table)
    throw new MappingError(
      entry.table,
      entry.pgKey,
      null,
      'unknown-table',
      'table is not in the mirror configuration',
    );
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

function deleteSql(table: TableConfig, shape: TableShape): string {
  const keys = table.primaryKey.map(quoteIdentifier).join(', ');
  // Types come from format_type, so they are already valid SQL type names.
  const columns = table.primaryKey
    .map((k) => `${quoteIdentifier(k)} ${shape.keyTypes.get(k)}`)
    .join(', ');
  return `DELETE FROM ${qualifiedTable(table)}
           WHERE (${keys}) = (SELECT ${keys} FROM jsonb_to_record($1::jsonb) AS k(${columns}))`;
}

/** The row's key text as capture computes it (parity/keys.ts), from the values Postgres parsed. */
async function recordKeyText(
  client: pg.ClientBase,
  table: TableConfig,
  record: string,
): Promise<string> {
  const { rows } = await client.query<{ key: string }>(
    `SELECT ${keyTextSql(table)} AS key FROM jsonb_populate_record(NULL::${qualifiedTable(table)}, $1::jsonb) t`,
    [record],
  );
  return rows[0]!.key;
}

/**
 * What the apply needs from the catalog: generated columns (Postgres computes
 * them; an INSERT naming one fails) and the key columns' types (a delete
 * parses the key texts as those types, not as the whole row type, whose
 * NOT NULL domains would refuse the missing columns). Read once per
 * configuration and table.
 */
interface TableShape {
  generated: Set<string>;
  keyTypes: Map<string, string>;
}

const shapesByConfig = new WeakMap<MirrorConfig, Map<string, Promise<TableShape>>>();

function tableShape(
  client: pg.ClientBase,
  config: MirrorConfig,
  table: TableConfig,
): Promise<TableShape> {
  let byTable = shapesByConfig.get(config);
  if (!byTable) shapesByConfig.set(config, (byTable = new Map()));
  let found = byTable.get(table.name);
  if (!found) {
    found = client
      .query<{ attname: string; generated: boolean; type: string }>(
        `SELECT attname, attgenerated <> '' AS generated, format_type(atttypid, atttypmod) AS type
           FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
        [qualifiedTable(table)],
      )
      .then(({ rows }) => ({
        generated: new Set(rows.filter((r) => r.generated).map((r) => r.attname)),
        keyTypes: new Map(
          rows.filter((r) => table.primaryKey.includes(r.attname)).map((r) => [r.attname, r.type]),
        ),
      }));
    found.catch(() => byTable!.delete(table.name));
    byTable.set(table.name, found);
  }
  return found;
}

/** Applies one entry inside the caller's transaction. Bad data throws a MappingError (not worth a retry). */
export async function applyReverseChange(
  client: pg.ClientBase, tool: ToolSchema,
  config: MirrorConfig,
  entry: ChangeLogEntry,
  options: ReverseApplyOptions = {},
): Promise<ReverseApplyOutcome> {
  const table = requireMirrored(config, entry);
  const { rows } = await client.query<{ version: string }>(
    `SELECT version FROM ${tool.sql}.reverse_sync_key WHERE table_name = $1 AND key = $2 FOR UPDATE`,
    [table.name, entry.pgKey],
  );
  const recorded = rows[0] ? Number(rows[0].version) : -Infinity;
  if (entry.version < recorded || (entry.version === recorded && !options.sameVersion))
    return 'skipped';
  if (entry.op === 'delete') {
    await client.query(deleteSql(table, await tableShape(client, config, table)), [
      JSON.stringify(keyRecord(table, entry.pgKey)),
    ]);
  } else {
    if (!entry.doc)
      throw new MappingError(
        table.name,
        entry.pgKey,
        null,
        'missing-column',
        'upsert without a row',
      );
    const record = JSON.stringify(toPgRecord(table, entry.pgKey, entry.doc));
    const key = await recordKeyText(client, table, record);
    if (key !== entry.pgKey)
      throw new MappingError(
        table.name,
        entry.pgKey,
        null,
        'primary-key',
        `row has key ${key}, the change log says ${entry.pgKey}`,
      );
    const { generated } = await tableShape(client, config, table);
    const columns = table.columns.map((c) => c.name).filter((c) => !generated.has(c));
    await client.query(upsertSql(table, columns), [record]);
  }
  await client.query(
    `INSERT INTO ${tool.sql}.reverse_sync_key (table_name, key, version) VALUES ($1, $2, $3)
     ON CONFLICT (table_name, key) DO UPDATE SET version = EXCLUDED.version`,
    [table.name, entry.pgKey, entry.version],
  );
  return 'applied';
}
