/**
 * Applies change-log entries to Postgres, versioned per key: the newest Convex
 * version applied to a key is kept in tandem.reverse_sync_key (same
 * transaction), and an entry at or below it changes nothing, so a replay or an
 * old change after a new one is a no-op. Values go through the inverse mapping
 * (pgValues.ts) into jsonb_populate_record, so Postgres's own input functions
 * parse every type. The caller's transaction must have set
 * tandem.reverse_sync = 'on' (capture ignores the write; a freeze lets it in).
 *
 * Why one call per batch: each entry used to cost about six sequential round
 * trips (savepoint, key version lock, key check, upsert or delete, key
 * version, release), so a page of 200 took over a thousand and a write
 * rollback paused writes for seconds while the log drained. Now the worker
 * maps the entries here and sends the whole batch to one PL/pgSQL function
 * (migration 0017, `reverse_sync_apply`), which runs them in log order and
 * stops at the first failure. That keeps the per-entry semantics exactly:
 * the same statements (built here, identifiers quoted once, the row as the
 * only parameter), the same version rule, the same key-text check, each entry
 * all or nothing. Coalescing per key into set-based statements would be
 * faster still, but a failing entry would then have to be found again by a
 * second, per-entry path with its own rules; one path is easier to keep right.
 */
import pg from 'pg';
import { convexToJson, type Value } from 'convex/values';
import {
  MappingError,
  findTable,
  qualifiedTable,
  quoteIdentifier,
  type MirrorConfig,
  type TableConfig,
} from '../mapping/index.js';
import { keyTextSql } from '../parity/keys.js';
import { readTableColumns } from '../postgres/catalog/index.js';
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

/** An entry the worker gave up on, with why (written instead of applying it). */
export interface DeadLetterOrder {
  reason: string;
  column: string | null;
  attempts: number;
}

/** One entry of a batch and what to do with it. */
export type BatchItem =
  | { entry: ChangeLogEntry; action: 'apply' }
  /** A decommissioned table's entry: passed over. */
  | { entry: ChangeLogEntry; action: 'retire' }
  | { entry: ChangeLogEntry; action: 'dead-letter'; order: DeadLetterOrder };

export type BatchOutcome = 'applied' | 'skipped' | 'retired' | 'dead-lettered';

export interface BatchResult {
  /** One per item done, in order; shorter than the batch when an item failed. */
  outcomes: BatchOutcome[];
  /** The first item that failed (index into the batch); nothing of it or after it was written. */
  failure: { index: number; error: Error } | null;
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
function keySql(table: TableConfig): string {
  return `SELECT ${keyTextSql(table)} AS key FROM jsonb_populate_record(NULL::${qualifiedTable(table)}, $1::jsonb) t`;
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

/** A table's statements for the batch function, each with the record or key as `$1`. */
interface TableStatements {
  upsert: string;
  delete: string;
  key: string;
}

const statementsByConfig = new WeakMap<MirrorConfig, Map<string, Promise<TableStatements>>>();

function tableStatements(
  client: pg.ClientBase,
  config: MirrorConfig,
  table: TableConfig,
): Promise<TableStatements> {
  let byTable = statementsByConfig.get(config);
  if (!byTable) statementsByConfig.set(config, (byTable = new Map()));
  let found = byTable.get(table.name);
  if (!found) {
    found = readTableColumns(client, table.schema, table.name)
      .then((live) => {
        const shape: TableShape = {
          generated: new Set(live.filter((c) => c.generated).map((c) => c.name)),
          keyTypes: new Map(
            live.filter((c) => table.primaryKey.includes(c.name)).map((c) => [c.name, c.type]),
          ),
        };
        const columns = table.columns.map((c) => c.name).filter((c) => !shape.generated.has(c));
        return { upsert: upsertSql(table, columns), delete: deleteSql(table, shape), key: keySql(table) };
      });
    found.catch(() => byTable!.delete(table.name));
    byTable.set(table.name, found);
  }
  return found;
}

/** An unpaired UTF-16 surrogate: UTF-8, so Postgres text, cannot encode one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A dead letter's key, reason or column as Postgres text can hold it: each NUL
 * or unpaired surrogate written as its `\uXXXX` escape (six characters).
 * Such a key can never be a Postgres key, so the dead letter is the only
 * place it appears.
 */
export function escapeForText(text: string): string {
  return text.replaceAll('\0', escapeChar).replace(LONE_SURROGATE, escapeChar);
}

/** What the batch function gets for one item (see migrations 0017 and 0020). */
type WireItem = Record<string, unknown>;

/** An item as the function takes it; a mapping problem becomes an item that fails in its place. */
function wireItem(
  config: MirrorConfig,
  item: BatchItem,
  refusals: Map<number, MappingError>,
  index: number,
): { wire: WireItem; table: TableConfig | null } {
  const { entry } = item;
  if (item.action === 'retire') return { wire: { op: 'retired' }, table: null };
  if (item.action === 'dead-letter') {
    const wire: WireItem = {
      op: 'dead',
      seq: entry.seq,
      t: escapeForText(entry.table),
      k: escapeForText(entry.pgKey),
      entry_op: entry.op,
      v: entry.version,
      reason: escapeForText(item.order.reason),
      column: item.order.column === null ? null : escapeForText(item.order.column),
      attempts: item.order.attempts,
    };
    // As JSON text: a string holding a NUL or a lone surrogate is then plain `\u` escapes, which the
    // entry's own jsonb parse takes; the function keeps it as jsonb when jsonb takes it (migration 0020).
    if (entry.doc !== undefined) wire.doc_text = JSON.stringify(convexToJson(entry.doc as Value));
    return { wire, table: null };
  }
  const table = findTable(config, entry.table);
  if (!table) {
    refusals.set(
      index,
      new MappingError(entry.table, entry.pgKey, null, 'unknown-table', 'table is not in the mirror configuration'),
    );
    return { wire: { op: 'refused' }, table: null };
  }
  const versioned = { t: table.name, k: entry.pgKey, v: entry.version };
  try {
    if (entry.op === 'delete') return { wire: { op: 'delete', ...versioned, r: keyRecord(table, entry.pgKey) }, table };
    if (!entry.doc)
      throw new MappingError(table.name, entry.pgKey, null, 'missing-column', 'upsert without a row');
    return { wire: { op: 'upsert', ...versioned, r: toPgRecord(table, entry.pgKey, entry.doc) }, table };
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    // Still version-checked in Postgres: an entry already overtaken is skipped, as it always was.
    refusals.set(index, error);
    return { wire: { op: 'invalid', ...versioned }, table: null };
  }
}

interface WireFailure {
  index: number;
  sqlstate: string;
  message: string;
  detail: string | null;
  hint: string | null;
  column: string | null;
  constraint: string | null;
  table: string | null;
  schema: string | null;
  datatype: string | null;
}

const OUTCOMES: Record<string, BatchOutcome> = {
  a: 'applied',
  s: 'skipped',
  r: 'retired',
  d: 'dead-lettered',
};

/** The error the failing item raised, as the per-statement apply raised it. */
function failureError(failure: WireFailure, item: BatchItem, refusals: Map<number, MappingError>): Error {
  const refusal = refusals.get(failure.index);
  if (refusal && failure.sqlstate === 'TR002') return refusal;
  if (failure.sqlstate === 'TR001') {
    const key = failure.detail === null ? null : (JSON.parse(failure.detail) as string | null);
    return new MappingError(
      item.entry.table,
      item.entry.pgKey,
      null,
      'primary-key',
      `row has key ${key}, the change log says ${item.entry.pgKey}`,
    );
  }
  // A Postgres error (a constraint, a value its input function refused):
  // the same error class and fields node-postgres gives for a failed query.
  const error = new pg.DatabaseError(failure.message, 0, 'error');
  error.severity = 'ERROR';
  error.code = failure.sqlstate;
  error.detail = failure.detail ?? undefined;
  error.hint = failure.hint ?? undefined;
  error.column = failure.column ?? undefined;
  error.constraint = failure.constraint ?? undefined;
  error.table = failure.table ?? undefined;
  error.schema = failure.schema ?? undefined;
  error.dataType = failure.datatype ?? undefined;
  return error;
}

/**
 * Applies `items` in order inside the caller's transaction, in one round trip
 * (plus a catalog read the first time a table is seen), stopping at the first
 * that fails: those before it stay written, nothing of it or after it is.
 * A MappingError (bad data: not worth a retry) or a Postgres error is
 * returned as the failure, not thrown; an outage still throws.
 */
export async function applyReverseChanges(
  client: pg.ClientBase,
  tool: ToolSchema,
  config: MirrorConfig,
  items: readonly BatchItem[],
  options: ReverseApplyOptions = {},
): Promise<BatchResult> {
  if (items.length === 0) return { outcomes: [], failure: null };
  const refusals = new Map<number, MappingError>();
  const wire: WireItem[] = [];
  const tables = new Map<string, TableConfig>();
  items.forEach((item, index) => {
    const prepared = wireItem(config, item, refusals, index);
    wire.push(prepared.wire);
    if (prepared.table) tables.set(prepared.table.name, prepared.table);
  });
  const statements: Record<string, TableStatements> = {};
  for (const table of tables.values()) statements[table.name] = await tableStatements(client, config, table);
  const { rows } = await client.query<{ result: { outcomes: string; failure: WireFailure | null } }>(
    `SELECT ${tool.sql}.reverse_sync_apply($1::jsonb, $2::text[], $3) AS result`,
    [JSON.stringify(statements), wire.map((w) => JSON.stringify(w)), options.sameVersion === true],
  );
  const { outcomes, failure } = rows[0]!.result;
  return {
    outcomes: [...outcomes].map((letter) => OUTCOMES[letter]!),
    failure: failure
      ? { index: failure.index, error: failureError(failure, items[failure.index]!, refusals) }
      : null,
  };
}

/** Applies one entry inside the caller's transaction. Bad data throws a MappingError (not worth a retry). */
export async function applyReverseChange(
  client: pg.ClientBase,
  tool: ToolSchema,
  config: MirrorConfig,
  entry: ChangeLogEntry,
  options: ReverseApplyOptions = {},
): Promise<ReverseApplyOutcome> {
  const { outcomes, failure } = await applyReverseChanges(client, tool, config, [{ entry, action: 'apply' }], options);
  if (failure) throw failure.error;
  return outcomes[0] === 'applied' ? 'applied' : 'skipped';
}
