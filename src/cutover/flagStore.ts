/**
 * The read stages as stored in the tool's schema (tandem.read_flag) and their
 * audit log (tandem.read_flag_history). Every change runs in one transaction
 * that locks the table's row, checks the move against TRANSITIONS, writes the
 * new stage and its history row, and notifies listening readers at commit; a
 * refused or invalid change writes nothing.
 */
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { withTransaction, type Queryable } from '../postgres/database.js';
import { newSalt } from './buckets.js';
import {
  checkTransition,
  describeSetting,
  impliedPercent,
  isReadStage,
  READ_STAGES,
  type ReadStage,
  type StageSetting,
} from './readStages.js';
import { toolObjectLiteral, toolScopedName, type ToolSchema } from '../core/toolSchema.js';

/** The channel every stage change is announced on (payload: the table name). */
export function readFlagChannel(tool: ToolSchema): string {
  return toolScopedName(tool, 'tandem_read_flags');
}

export interface TableReadFlag extends StageSetting {
  table: string;
  /** Keys the table's sticky buckets. */
  salt: string;
  /** Increases with every change of any table. */
  version: number;
}

export interface StageChange {
  table: string;
  from: StageSetting;
  to: StageSetting;
  forced: boolean;
}

export interface StageHistoryEntry {
  id: number;
  at: string;
  table: string;
  actor: string;
  why: string;
  from: StageSetting;
  to: StageSetting;
  forced: boolean;
  rule: string | null;
  detail: Record<string, unknown> | null;
}

/** A refused move: the table stays where it was. */
export class ReadStageRefusedError extends InvalidInputError {
  constructor(
    readonly table: string,
    readonly from: StageSetting,
    readonly to: StageSetting,
    readonly reason: 'needs_force' | 'unchanged' | 'changed',
    message: string,
  ) {
    super('stage', `${table}: ${message}`);
  }
}

interface FlagRow {
  table_name: string;
  stage: ReadStage;
  percent: string;
  salt: string;
  version: string;
}

const toFlag = (r: FlagRow): TableReadFlag => ({
  table: r.table_name,
  stage: r.stage,
  percent: Number(r.percent),
  salt: r.salt,
  version: Number(r.version),
});

/** Every stored stage (tables never set have no row and read from Postgres). */
export async function readFlagRows(db: Queryable, tool: ToolSchema): Promise<TableReadFlag[]> {
  const { rows } = await db.query<FlagRow>(
    `SELECT table_name, stage, percent, salt, version FROM ${tool.sql}.read_flag ORDER BY table_name`,
  );
  return rows.map(toFlag);
}

/** The stage of each of `tables` (the mirrored ones), `postgres` where none was ever set. */
export async function listReadStages(
  db: Queryable, tool: ToolSchema,
  tables: readonly string[],
): Promise<Array<{ table: string; stage: ReadStage; percent: number }>> {
  const stored = new Map((await readFlagRows(db, tool)).map((f) => [f.table, f]));
  return tables.map((table) => {
    const f = stored.get(table);
    return { table, stage: f?.stage ?? 'postgres', percent: f?.percent ?? 0 };
  });
}

export interface StageChangeRequest {
  table: string;
  stage: string;
  percent?: number;
  /** Why (required, recorded in the audit log). */
  why: string;
  /** Who (recorded). */
  actor: string;
  /** Allow a move that skips a step (recorded as forced). */
  force?: boolean;
  /** The automatic rule that made the change, and the values it saw. */
  rule?: string;
  detail?: Record<string, unknown>;
  /** Refuse (reason `changed`) unless the table's stored version is this one: nobody changed it since it was read. */
  ifVersion?: number;
}

/** A change as stored: its stage version and when it was made (the database clock). */
export interface StoredStageChange extends StageChange {
  version: number;
  at: Date;
}

function requireWhy(why: string | undefined): string {
  if (typeof why !== 'string' || why.trim() === '')
    throw new InvalidInputError('why', 'say why the stage changes (--why "…"); it is recorded in the audit log');
  return why.trim();
}

function requireKnownTable(table: string, known: readonly string[]): void {
  if (!known.includes(table))
    throw new InvalidInputError(
      'table',
      `${JSON.stringify(table)} is not a mirrored table (known: ${known.join(', ') || 'none'})`,
    );
}

/** Locks the table's row, creating it at `postgres` first; runs inside a transaction. */
async function lockFlag(tx: Queryable, tool: ToolSchema, table: string): Promise<TableReadFlag> {
  await tx.query(
    `INSERT INTO ${tool.sql}.read_flag (table_name, stage, percent, salt, version)
     VALUES ($1, 'postgres', 0, $2, nextval(${toolObjectLiteral(tool, 'read_flag_version')}))
     ON CONFLICT (table_name) DO NOTHING`,
    [table, newSalt()],
  );
  const { rows } = await tx.query<FlagRow>(
    `SELECT table_name, stage, percent, salt, version FROM ${tool.sql}.read_flag WHERE table_name = $1 FOR UPDATE`,
    [table],
  );
  return toFlag(rows[0]!);
}

async function writeChange(
  tx: Queryable, tool: ToolSchema,
  change: StageChange,
  request: Pick<StageChangeRequest, 'actor' | 'rule' | 'detail'> & { why: string },
): Promise<{ version: number; at: Date }> {
  const { rows } = await tx.query<{ version: string; updated_at: Date }>(
    `UPDATE ${tool.sql}.read_flag SET stage = $2, percent = $3, version = nextval(${toolObjectLiteral(tool, 'read_flag_version')}), updated_at = now()
      WHERE table_name = $1 RETURNING version, updated_at`,
    [change.table, change.to.stage, change.to.percent],
  );
  await tx.query(
    `INSERT INTO ${tool.sql}.read_flag_history
       (table_name, actor, why, from_stage, from_percent, to_stage, to_percent, forced, rule, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
    [
      change.table,
      request.actor,
      request.why,
      change.from.stage,
      change.from.percent,
      change.to.stage,
      change.to.percent,
      change.forced,
      request.rule ?? null,
      request.detail ? JSON.stringify(request.detail) : null,
    ],
  );
  await tx.query('SELECT pg_notify($1, $2)', [readFlagChannel(tool), change.table]);
  return { version: Number(rows[0]!.version), at: new Date(rows[0]!.updated_at) };
}

/**
 * Moves one table to a stage. Throws InvalidInputError (unknown table or
 * stage, bad percentage, no reason) or ReadStageRefusedError (a move the
 * transition table refuses); either way nothing is written.
 */
export async function setReadStage(
  pool: pg.Pool, tool: ToolSchema,
  knownTables: readonly string[],
  request: StageChangeRequest,
): Promise<StageChange> {
  const { table, from, to, forced } = await changeReadStage(pool, tool, knownTables, request);
  return { table, from, to, forced };
}

/** setReadStage, also returning the version and time the change was stored under (what instances acknowledge). */
export async function changeReadStage(
  pool: pg.Pool, tool: ToolSchema,
  knownTables: readonly string[],
  request: StageChangeRequest,
): Promise<StoredStageChange> {
  requireKnownTable(request.table, knownTables);
  if (!isReadStage(request.stage))
    throw new InvalidInputError(
      'stage',
      `unknown stage ${JSON.stringify(request.stage)} (one of ${READ_STAGES.join(', ')})`,
    );
  const to: StageSetting = { stage: request.stage, percent: impliedPercent(request.stage, request.percent) };
  const why = requireWhy(request.why);
  return withTransaction(pool, async (tx) => {
    const current = await lockFlag(tx, tool, request.table);
    const from: StageSetting = { stage: current.stage, percent: current.percent };
    if (request.ifVersion !== undefined && current.version !== request.ifVersion)
      throw new ReadStageRefusedError(
        request.table,
        from,
        to,
        'changed',
        `the stage changed meanwhile (now ${describeSetting(from)}, version ${current.version}, expected ${request.ifVersion})`,
      );
    const check = checkTransition(from, to, { force: request.force });
    if (!check.ok) throw new ReadStageRefusedError(request.table, from, to, check.reason, check.message);
    const change: StageChange = { table: request.table, from, to, forced: check.forced };
    return { ...change, ...(await writeChange(tx, tool, change, { ...request, why })) };
  });
}

export interface RollbackRequest {
  why: string;
  actor: string;
  rule?: string;
  detail?: Record<string, unknown>;
}

/**
 * Sets tables back to `postgres` (every table not there yet for 'all').
 * A table already at `postgres` is left alone: the result lists only the
 * tables that moved.
 */
export async function rollbackReadStages(
  pool: pg.Pool, tool: ToolSchema,
  tables: 'all' | readonly string[],
  knownTables: readonly string[],
  request: RollbackRequest,
): Promise<StageChange[]> {
  const why = requireWhy(request.why);
  if (tables !== 'all') for (const table of tables) requireKnownTable(table, knownTables);
  return withTransaction(pool, async (tx) => {
    const names =
      tables === 'all'
        ? (
            await tx.query<{ table_name: string }>(
              `SELECT table_name FROM ${tool.sql}.read_flag WHERE stage <> 'postgres' ORDER BY table_name`,
            )
          ).rows.map((r) => r.table_name)
        : [...new Set(tables)].sort();
    const changes: StageChange[] = [];
    for (const table of names) {
      const current = await lockFlag(tx, tool, table);
      if (current.stage === 'postgres') continue;
      const change: StageChange = {
        table,
        from: { stage: current.stage, percent: current.percent },
        to: { stage: 'postgres', percent: 0 },
        forced: false,
      };
      await writeChange(tx, tool, change, { ...request, why });
      changes.push(change);
    }
    return changes;
  });
}

interface HistoryRow {
  id: string;
  at: Date;
  table_name: string;
  actor: string;
  why: string;
  from_stage: ReadStage;
  from_percent: string;
  to_stage: ReadStage;
  to_percent: string;
  forced: boolean;
  rule: string | null;
  detail: Record<string, unknown> | null;
}

/** The audit log of stage changes, oldest first (of one table, or of all). */
export async function readStageHistory(db: Queryable, tool: ToolSchema, table?: string): Promise<StageHistoryEntry[]> {
  const { rows } = await db.query<HistoryRow>(
    `SELECT id, at, table_name, actor, why, from_stage, from_percent, to_stage, to_percent, forced, rule, detail
       FROM ${tool.sql}.read_flag_history WHERE $1::text IS NULL OR table_name = $1 ORDER BY id`,
    [table ?? null],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at.toISOString(),
    table: r.table_name,
    actor: r.actor,
    why: r.why,
    from: { stage: r.from_stage, percent: Number(r.from_percent) },
    to: { stage: r.to_stage, percent: Number(r.to_percent) },
    forced: r.forced,
    rule: r.rule,
    detail: r.detail,
  }));
}

