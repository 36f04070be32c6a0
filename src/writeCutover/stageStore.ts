/**
 * Changes of a group's write stage, each in one transaction that locks the
 * group's row, checks the move against WRITE_TRANSITIONS and, for a move
 * towards Convex, the group's preconditions; then writes the stage and a row
 * of tandem.write_stage_history (who, why, from, to, and the reasons a
 * --force overrode) and notifies listening routers. A refused or invalid
 * change writes nothing.
 */
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { withTransaction, type Queryable } from '../postgres/database.js';
import {
  lockWriteGroup,
  readWriteGroups,
  requireWhy,
  unknownGroupError,
  writeStageChannel,
  type StoredWriteGroup,
} from './groupStore.js';
import {
  checkWritePreconditions,
  type PreconditionOptions,
  type Refusal,
} from './preconditions.js';
import { requireWriteStage, WRITE_TRANSITIONS, type WriteStage } from './writeStages.js';
import { toolObjectLiteral, type ToolSchema } from '../core/toolSchema.js';

export type WriteStageRefusal = 'unchanged' | 'needs-rollback' | Refusal['reason'];

/** A refused move: the group stays where it was. `refusals` name every reason. */
export class WriteStageRefusedError extends InvalidInputError {
  constructor(
    readonly group: string,
    readonly from: WriteStage,
    readonly to: WriteStage,
    readonly refusals: ReadonlyArray<{ reason: WriteStageRefusal; message: string }>,
    hint: string,
  ) {
    super(
      'stage',
      `${group}: ${from} → ${to} refused: ${refusals.map((r) => r.message).join('; ')}${hint}`,
    );
  }
}

export interface WriteStageRequest extends PreconditionOptions {
  group: string;
  stage: string;
  why: string;
  actor: string;
  /** Move even though preconditions fail (the reasons are recorded with the change). */
  force?: boolean;
}

export interface WriteStageChange {
  group: string;
  from: WriteStage;
  to: WriteStage;
  forced: boolean;
  /** What --force overrode (empty when nothing was). */
  overridden: Refusal[];
}

/** Appends a row to the write-stage audit log and announces the change (inside the caller's transaction). */
export async function recordWriteStageChange(
  tx: Queryable, tool: ToolSchema,
  entry: {
    group: string;
    actor: string;
    why: string;
    action: 'set' | 'rollback';
    from: WriteStage;
    to: WriteStage;
    forced?: boolean;
    refusals?: readonly Refusal[];
    pauseMs?: number | null;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await tx.query(
    `UPDATE ${tool.sql}.write_group SET stage = $2, paused_at = NULL, version = nextval(${toolObjectLiteral(tool, 'write_stage_version')}),
            updated_at = now() WHERE name = $1`,
    [entry.group, entry.to],
  );
  await tx.query(
    `INSERT INTO ${tool.sql}.write_stage_history
       (group_name, actor, why, action, from_stage, to_stage, forced, refusals, pause_ms, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb)`,
    [
      entry.group,
      entry.actor,
      entry.why,
      entry.action,
      entry.from,
      entry.to,
      entry.forced ?? false,
      entry.refusals && entry.refusals.length > 0 ? JSON.stringify(entry.refusals) : null,
      entry.pauseMs ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
    ],
  );
  await tx.query('SELECT pg_notify($1, $2)', [writeStageChannel(tool), entry.group]);
}

/** A move that passed its checks (or was forced past them), not yet written. */
export interface CheckedWriteMove {
  group: StoredWriteGroup;
  from: WriteStage;
  to: WriteStage;
  why: string;
  /** The preconditions that failed and were overridden by `force` (empty when none). */
  refusals: Refusal[];
}

/**
 * Checks a move without writing anything: the group and stage exist, a reason
 * is given, no rollback holds the group, the transition table allows it, and
 * for a `checked` move the preconditions hold (or `force` overrides them).
 * Throws InvalidInputError or WriteStageRefusedError.
 */
export async function checkWriteMove(
  pool: pg.Pool,
  tool: ToolSchema,
  request: WriteStageRequest,
): Promise<CheckedWriteMove> {
  const groups = await readWriteGroups(pool, tool);
  const group = groups.find((g) => g.name === request.group);
  if (!group)
    throw unknownGroupError(
      request.group,
      groups.map((g) => g.name),
    );
  const to = requireWriteStage(request.stage);
  const why = requireWhy(request.why);
  const from = group.stage;
  if (group.pausedAt !== null)
    throw new InvalidInputError(
      'stage',
      `${group.name}: a switch holds its writes since ${group.pausedAt.toISOString()}; wait for it`,
    );
  const rule = WRITE_TRANSITIONS[from][to];
  if (rule === 'same')
    throw new WriteStageRefusedError(
      group.name,
      from,
      to,
      [{ reason: 'unchanged', message: `already at ${to}` }],
      '',
    );
  if (rule === 'drain')
    throw new WriteStageRefusedError(
      group.name,
      from,
      to,
      [
        {
          reason: 'needs-rollback',
          message: 'Convex is the writer; moving it back drains reverse sync first',
        },
      ],
      ` (use tandem flags rollback ${group.name} --writes)`,
    );
  // Checked before any transaction: the checks read through other connections
  // (PGlite serves one transaction at a time); the caller's row lock refuses
  // the move if the stage changed meanwhile.
  const refusals = rule === 'checked' ? await checkWritePreconditions(pool, tool, group, request) : [];
  if (refusals.length > 0 && !request.force)
    throw new WriteStageRefusedError(
      group.name,
      from,
      to,
      refusals,
      '; pass --force --reason "…" to do it anyway (audited)',
    );
  return { group, from, to, why, refusals };
}

/**
 * Writes a checked move in one transaction that locks the group's row; the
 * stage must still be the one checked, and the pause the one expected (none,
 * or the caller's own while it switches).
 */
export async function commitWriteMove(
  pool: pg.Pool,
  tool: ToolSchema,
  move: CheckedWriteMove,
  entry: {
    actor: string;
    heldByCaller?: boolean;
    pauseMs?: number;
    detail?: Record<string, unknown>;
  },
): Promise<WriteStageChange> {
  const { group, from, to, refusals } = move;
  return withTransaction(pool, async (tx) => {
    const locked = await lockWriteGroup(tx, tool, group.name);
    if (
      !locked ||
      locked.stage !== from ||
      (locked.pausedAt !== null) !== (entry.heldByCaller ?? false)
    )
      throw new InvalidInputError(
        'stage',
        `${group.name}: changed while it was checked (now ${locked?.stage ?? 'gone'}); try again`,
      );
    await recordWriteStageChange(tx, tool, {
      group: group.name,
      actor: entry.actor,
      why: move.why,
      action: 'set',
      from,
      to,
      forced: refusals.length > 0,
      refusals,
      pauseMs: entry.pauseMs,
      detail: entry.detail,
    });
    return { group: group.name, from, to, forced: refusals.length > 0, overridden: refusals };
  });
}

/**
 * Moves a group's writes to a stage, without holding them: right for
 * `convex-shadow` (Postgres stays the writer) and a way back from it. Moving
 * the writer to Convex under live writes is `cutoverWriteStage`, which holds
 * the group and drains its outbox first. Throws InvalidInputError (unknown
 * group or stage, no reason) or WriteStageRefusedError (the transition table
 * or a precondition refuses); either way nothing is written.
 */
export async function setWriteStage(
  pool: pg.Pool,
  tool: ToolSchema,
  request: WriteStageRequest,
): Promise<WriteStageChange> {
  const move = await checkWriteMove(pool, tool, request);
  return commitWriteMove(pool, tool, move, { actor: request.actor });
}

export interface WriteStageHistoryEntry {
  id: number;
  at: string;
  group: string;
  actor: string;
  why: string;
  action: 'set' | 'rollback' | 'groups-saved';
  from: WriteStage | null;
  to: WriteStage | null;
  forced: boolean;
  refusals: Refusal[] | null;
  pauseMs: number | null;
  detail: Record<string, unknown> | null;
}

/** The audit log of write-stage changes and group saves, oldest first (of one group, or of all). */
export async function readWriteStageHistory(
  db: Queryable, tool: ToolSchema,
  group?: string,
): Promise<WriteStageHistoryEntry[]> {
  const { rows } = await db.query<{
    id: string;
    at: Date;
    group_name: string;
    actor: string;
    why: string;
    action: WriteStageHistoryEntry['action'];
    from_stage: WriteStage | null;
    to_stage: WriteStage | null;
    forced: boolean;
    refusals: Refusal[] | null;
    pause_ms: number | null;
    detail: Record<string, unknown> | null;
  }>(
    `SELECT id, at, group_name, actor, why, action, from_stage, to_stage, forced, refusals, pause_ms, detail
       FROM ${tool.sql}.write_stage_history WHERE $1::text IS NULL OR group_name = $1 ORDER BY id`,
    [group ?? null],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at.toISOString(),
    group: r.group_name,
    actor: r.actor,
    why: r.why,
    action: r.action,
    from: r.from_stage,
    to: r.to_stage,
    forced: r.forced,
    refusals: r.refusals,
    pauseMs: r.pause_ms === null ? null : Number(r.pause_ms),
    detail: r.detail,
  }));
}
