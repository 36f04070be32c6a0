/**
 * Ids for rows created outside Postgres (Convex write paths after a write
 * cutover), in the one key space of the table's Postgres sequence
 * (docs/write-cutover-keys.md).
 *
 * A reservation draws the ids with `nextval`, the sequence's own atomic
 * operation, `count` times in one statement. Postgres never hands out a value
 * twice, to anyone, so the reserved ids can no longer be produced by any
 * Postgres writer, concurrent ones included, and no lock is needed. (A
 * `setval` jump past `last_value` would need every writer's `nextval` to wait
 * for a lock they never take; between the read and the jump a concurrent
 * writer could be given a value inside the range.) `nextval` is not undone by
 * a rollback, so a reservation whose ids never reach Convex (a crash in
 * between) only leaves a gap, as a rolled-back insert does: never a reuse.
 *
 * Concurrent draws may interleave, so the ids come back as runs of
 * consecutive values (consecutive by the sequence's increment).
 */
import { ConfigError } from '../core/errors.js';
import type { ToolSchema } from '../core/toolSchema.js';
import type { Queryable } from '../postgres/database.js';
import { readColumnSequence } from '../postgres/catalog/index.js';
import { qualifiedName } from '../mapping/index.js';

export interface KeyColumn {
  /** Schema of the table: the application schema of the resolved project config. */
  schema: string;
  table: string;
  /** The key column whose default draws from a sequence (serial or identity). */
  column: string;
}

/** Ids first, first + step, …, last (inclusive). */
export interface KeyRun {
  first: number;
  last: number;
  step: number;
}

export interface KeyReservation {
  table: string;
  /** The sequence the ids came from (schema-qualified, quoted as needed). */
  sequence: string;
  runs: KeyRun[];
  count: number;
}

/** Upper bound on one reservation: a statement of this many nextval calls takes a few milliseconds. */
export const MAX_RESERVATION = 100_000;

async function keySequence(
  db: Queryable,
  key: KeyColumn,
): Promise<{ sequence: string; step: number }> {
  const where = qualifiedName(key.schema, key.table, key.column);
  const found = await readColumnSequence(db, key.schema, key.table, key.column);
  if (!found.exists) throw new ConfigError('keys', `no column ${where}`);
  const info = found.sequence;
  if (!info)
    throw new ConfigError('keys', `${where} is not filled from a sequence (serial or identity)`);
  const step = Number(info.increment);
  if (!Number.isSafeInteger(step) || step < 1)
    throw new ConfigError(
      'keys',
      `${where}: sequence ${info.name} counts down (increment ${info.increment})`,
    );
  // A cycling sequence hands its values out again after wrapping: no id would stay unique.
  if (info.cycle) throw new ConfigError('keys', `${where}: sequence ${info.name} cycles`);
  return { sequence: info.name, step };
}

/**
 * Where the key column is now. A decommissioned table was moved (into the
 * retired schema) or renamed, and its owned sequence went with it, while
 * Convex, now the table's only writer, still creates rows with ids from it:
 * the decommission's audit entry says where the table is kept.
 */
export async function keyLocation(db: Queryable, tool: ToolSchema, key: KeyColumn): Promise<KeyColumn> {
  const { rows } = await db.query<{ detail: { keptSchema?: string; keptTable?: string; dropped?: boolean } }>(
    `SELECT a.detail FROM ${tool.sql}.audit_log a
       JOIN ${tool.sql}.table_phase p ON p.table_name = a.target AND p.phase = 'decommissioned'
      WHERE a.action = 'decommission' AND a.target = $1
      ORDER BY a.id DESC LIMIT 1`,
    [key.table],
  );
  const detail = rows[0]?.detail;
  if (!detail) return key;
  if (detail.dropped || !detail.keptSchema || !detail.keptTable)
    throw new ConfigError('keys', `${key.table} was decommissioned and dropped: its sequence went with it`);
  return { ...key, schema: detail.keptSchema, table: detail.keptTable };
}

/** Draws `count` ids of the key's sequence for a writer outside Postgres. */
export async function reserveKeys(
  db: Queryable,
  key: KeyColumn,
  count: number,
  options: { tool?: ToolSchema } = {},
): Promise<KeyReservation> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_RESERVATION)
    throw new ConfigError('count', `must be an integer from 1 to ${MAX_RESERVATION}, got ${count}`);
  const { sequence, step } = await keySequence(db, options.tool ? await keyLocation(db, options.tool, key) : key);
  const { rows } = await db.query<{ id: string }>(
    'SELECT nextval($1::regclass)::text AS id FROM generate_series(1, $2)',
    [sequence, count],
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const unsafe = ids.find((id) => !Number.isSafeInteger(id));
  // Convex numbers are doubles; past 2^53 two ids could read as one.
  if (unsafe !== undefined) throw new ConfigError('keys', `${sequence} is past 2^53 (${unsafe})`);
  return { table: key.table, sequence, runs: toRuns(ids, step), count: ids.length };
}

/** Sorted ids as runs of values `step` apart. */
export function toRuns(sortedIds: readonly number[], step: number): KeyRun[] {
  const runs: KeyRun[] = [];
  for (const id of sortedIds) {
    const last = runs.at(-1);
    if (last && id === last.last + step) last.last = id;
    else runs.push({ first: id, last: id, step });
  }
  return runs;
}
