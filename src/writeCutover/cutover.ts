/**
 * Moving a group's writer from Postgres to Convex without losing a write, the
 * mirror image of the rollback: check the move (reads on convex, gates met,
 * no crossing write path, or forced and audited), hold the group's writes,
 * wait until the outbox has delivered every Postgres change of its tables to
 * Convex, raise Convex's version floor past the outbox sequence (so a Convex
 * write beats every change captured before it), switch the stage to `convex`
 * and let the writes go on, now into Convex.
 *
 * As in the rollback, the outbox is drained once before the hold while
 * writes go on (the catch-up), so the pause only covers the delivery of what
 * was written in the last moment. An outbox that does not drain in time, or
 * holds dead letters of the group's tables (Postgres writes Convex never
 * got), refuses the switch: the group stays on Postgres, the pause is
 * lifted, nothing is audited as a move.
 */
import type pg from 'pg';
import { TandemError } from '../core/errors.js';
import type { Queryable } from '../postgres/database.js';
import { checkWriteMove, commitWriteMove, type WriteStageRequest } from './stageStore.js';
import type { Refusal } from './preconditions.js';
import { catchUpBeforePause, holdGroupWrites, type SwitchTiming } from './writePause.js';
import type { WriteStage } from './writeStages.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface OutboxDrainResult {
  drained: boolean;
  /** Events of the tables not yet applied in Convex (0 when drained). */
  pending: number;
  /** Events of the tables that went to dead letters: Postgres writes Convex never got. */
  dead: number;
}

/** The relay's side of a cutover: every Postgres change of these tables applied in Convex. */
export interface OutboxDrain {
  drain(tables: readonly string[], deadlineMs: number): Promise<OutboxDrainResult>;
}

/** Convex's side: the version counter of the change log (a reverse-sync ChangeLogSource). */
export interface VersionFloor {
  raiseVersionFloor(floor: number): Promise<number>;
}

export interface WriteCutoverRequest extends Omit<WriteStageRequest, 'stage'>, SwitchTiming {
  outbox: OutboxDrain;
  convex: VersionFloor;
}

export interface WriteCutoverResult {
  group: string;
  from: WriteStage;
  forced: boolean;
  /** What `force` overrode (empty when nothing was). */
  overridden: Refusal[];
  /** How long the group's writes were held (ms). */
  pauseMs: number;
  outbox: OutboxDrainResult;
  /** Convex's version counter after the raise: every Convex write of the group is versioned above it. */
  floor: number;
}

/** The outbox did not drain (or holds dead letters): the group stays on Postgres. */
export class WriteCutoverRefusedError extends TandemError {
  readonly field = 'outbox';
  constructor(
    readonly group: string,
    readonly outbox: OutboxDrainResult,
    readonly pauseMs: number,
  ) {
    super(
      `outbox: ${group}: ${
        outbox.dead > 0
          ? `${outbox.dead} dead-lettered event(s) of its tables never reached Convex (retry or discard them: tandem dlq)`
          : `the outbox did not drain in time (${outbox.pending} event(s) of its tables not yet in Convex; is the relay running?)`
      }; writes stay on postgres, resumed after ${Math.round(pauseMs)} ms`,
    );
  }
}

/** Events of these tables the relay has not applied in Convex: pending, and dead letters. */
export async function outboxBacklog(
  db: Queryable,
  tool: ToolSchema,
  tables: readonly string[],
): Promise<{ pending: number; dead: number }> {
  const { rows } = await db.query<{ pending: number; dead: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'dead')::int AS dead
       FROM ${tool.sql}.outbox WHERE status <> 'done' AND table_name = ANY($1::text[])`,
    [tables],
  );
  return rows[0]!;
}

/**
 * An OutboxDrain that waits for a relay (in this process or any other) to
 * deliver the tables' events, looking every `pollMs` (default 10); with
 * `deliver`, it calls that between looks instead (e.g. one relay round).
 */
export function relayOutboxDrain(
  pool: pg.Pool,
  tool: ToolSchema,
  options: { pollMs?: number; deliver?: () => Promise<unknown> } = {},
): OutboxDrain {
  const pollMs = options.pollMs ?? 10;
  return {
    async drain(tables, deadlineMs) {
      const deadline = performance.now() + deadlineMs;
      for (;;) {
        const backlog = await outboxBacklog(pool, tool, tables);
        const done = backlog.pending === 0 || backlog.dead > 0;
        if (done || performance.now() >= deadline)
          return { drained: backlog.pending === 0 && backlog.dead === 0, ...backlog };
        if (options.deliver) await options.deliver();
        else await new Promise((r) => setTimeout(r, pollMs));
      }
    },
  };
}

/**
 * Moves a group's writes to `convex` (from `postgres` or `convex-shadow`).
 * Throws InvalidInputError or WriteStageRefusedError before holding anything
 * (nothing written), WriteCutoverRefusedError when the outbox does not drain
 * (the group stays on Postgres), or Convex's error when the floor cannot be
 * raised (likewise).
 */
export async function cutoverWriteStage(
  pool: pg.Pool,
  tool: ToolSchema,
  request: WriteCutoverRequest,
): Promise<WriteCutoverResult> {
  const move = await checkWriteMove(pool, tool, { ...request, stage: 'convex' });
  const { name, tables } = move.group;
  const deadlineMs = request.deadlineMs ?? 10_000;
  const catchUpMs = request.catchUpMs ?? 0;
  const caughtUp = await catchUpBeforePause((ms) => request.outbox.drain(tables, ms), catchUpMs, {
    stop: (r) => r.dead > 0,
  });
  if (caughtUp && caughtUp.dead > 0) throw new WriteCutoverRefusedError(name, caughtUp, 0);
  const clock = request.clock ?? (() => performance.now());
  const started = clock();
  const held = await holdGroupWrites(pool, tool, name, request);
  try {
    const outbox = await request.outbox.drain(tables, deadlineMs);
    if (!outbox.drained) {
      await held.release();
      const pauseMs = clock() - started;
      request.log?.warn(
        { group: name, ...outbox, pauseMs },
        'write cutover refused: outbox not drained',
      );
      throw new WriteCutoverRefusedError(name, outbox, pauseMs);
    }
    const { rows } = await pool.query<{ last_value: string }>(
      `SELECT last_value FROM ${tool.sql}.outbox_seq_seq`,
    );
    const floor = await request.convex.raiseVersionFloor(Number(rows[0]!.last_value));
    const change = await commitWriteMove(pool, tool, move, {
      actor: request.actor,
      heldByCaller: true,
      pauseMs: clock() - started,
      detail: { outbox, floor },
    });
    await held.release({ unpause: false });
    const pauseMs = clock() - started;
    request.log?.info({ group: name, pauseMs, floor }, 'write cutover: writes on convex');
    return {
      group: name,
      from: change.from,
      forced: change.forced,
      overridden: change.overridden,
      pauseMs,
      outbox,
      floor,
    };
  } catch (err) {
    await held.release().catch(() => undefined);
    throw err;
  }
}
