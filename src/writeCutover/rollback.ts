/**
 * Moving a group's writer back from Convex to Postgres without losing a write:
 * hold the group's writes, drain reverse sync (every change Convex committed
 * is applied to Postgres), and only then switch the stage to `postgres` and
 * let writes go on, now into Postgres.
 *
 * The pause is bounded by the drain of what was written in the last moment,
 * not by the backlog: before holding anything, reverse sync is drained once
 * while writes go on (the catch-up), so the drain inside the pause only
 * applies the changes logged since. The hold itself is writePause.ts's.
 *
 * Reverse sync is another part of the write cutover; it comes in through the
 * `WriteDrain` port. A drain that does not finish by its deadline refuses the
 * switch: the group stays on Convex, the pause is lifted, nothing is audited
 * as a move.
 */
import type pg from 'pg';
import { TandemError } from '../core/errors.js';
import { withTransaction } from '../postgres/database.js';
import { lockWriteGroup, readWriteGroups, requireWhy, unknownGroupError } from './groupStore.js';
import { recordWriteStageChange } from './stageStore.js';
import { catchUpBeforePause, holdGroupWrites, type SwitchTiming } from './writePause.js';
import type { WriteStage } from './writeStages.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type { WriteHold } from './writePause.js';

/** Reverse sync's side of a rollback: apply to Postgres every committed Convex change of the group. */
export interface WriteDrain {
  /**
   * `deadLetters`: unresolved reverse-sync dead letters of the group's tables
   * once drained (changes Convex committed that Postgres never got); the
   * switch is refused while there are any.
   */
  drain(
    group: string,
    deadlineMs: number,
  ): Promise<{ drained: boolean; pending: number; deadLetters?: number }>;
}

export interface WriteRollbackRequest extends SwitchTiming {
  group: string;
  actor: string;
  why: string;
  drain: WriteDrain;
}

export interface WriteRollbackResult {
  group: string;
  from: WriteStage;
  /** False when the group already wrote to Postgres (nothing done). */
  changed: boolean;
  /** How long the group's writes were held (ms); 0 when no drain was needed. */
  pauseMs: number;
  drain: { drained: boolean; pending: number; deadLetters?: number } | null;
}

/** The drain did not finish, or left dead letters of the group's tables: the group stays on Convex. */
export class WriteRollbackRefusedError extends TandemError {
  readonly field = 'drain';
  constructor(
    readonly group: string,
    readonly pending: number,
    readonly pauseMs: number,
    readonly deadLetters = 0,
  ) {
    const why =
      deadLetters > 0
        ? `${deadLetters} reverse-sync dead letter(s) of its tables never reached Postgres (retry or discard them: tandem reverse-sync dead-letters)`
        : `reverse sync did not drain in time (${pending} change(s) still pending)`;
    super(`drain: ${group}: ${why}; writes stay on convex, resumed after ${Math.round(pauseMs)} ms`);
  }
}

export async function rollbackWriteStage(
  pool: pg.Pool, tool: ToolSchema,
  request: WriteRollbackRequest,
): Promise<WriteRollbackResult> {
  const why = requireWhy(request.why);
  const groups = await readWriteGroups(pool, tool);
  const group = groups.find((g) => g.name === request.group);
  if (!group)
    throw unknownGroupError(
      request.group,
      groups.map((g) => g.name),
    );
  const base = { actor: request.actor, why, action: 'rollback' as const, group: group.name };
  if (group.stage === 'postgres')
    return { group: group.name, from: 'postgres', changed: false, pauseMs: 0, drain: null };
  if (group.stage === 'convex-shadow') {
    // Postgres is still the writer: nothing written in Convex to bring back.
    await withTransaction(pool, async (tx) => {
      await lockWriteGroup(tx, tool, group.name);
      await recordWriteStageChange(tx, tool, {
        ...base,
        from: 'convex-shadow',
        to: 'postgres',
        pauseMs: 0,
      });
    });
    return { group: group.name, from: 'convex-shadow', changed: true, pauseMs: 0, drain: null };
  }
  const deadlineMs = request.deadlineMs ?? 10_000;
  const catchUpMs = request.catchUpMs ?? 0;
  const caughtUp = await catchUpBeforePause((ms) => request.drain.drain(group.name, ms), catchUpMs);
  if (caughtUp && (caughtUp.deadLetters ?? 0) > 0)
    throw new WriteRollbackRefusedError(group.name, caughtUp.pending, 0, caughtUp.deadLetters);
  const clock = request.clock ?? (() => performance.now());
  const started = clock();
  const held = await holdGroupWrites(pool, tool, group.name, request);
  try {
    const drain = await request.drain.drain(group.name, deadlineMs);
    const deadLetters = drain.deadLetters ?? 0;
    if (!drain.drained || deadLetters > 0) {
      await held.release();
      const pauseMs = clock() - started;
      request.log?.warn(
        { group: group.name, pending: drain.pending, deadLetters, pauseMs },
        'write rollback refused: not drained',
      );
      throw new WriteRollbackRefusedError(group.name, drain.pending, pauseMs, deadLetters);
    }
    const switched = clock();
    await withTransaction(pool, async (tx) => {
      await lockWriteGroup(tx, tool, group.name);
      await recordWriteStageChange(tx, tool, {
        ...base,
        from: 'convex',
        to: 'postgres',
        pauseMs: switched - started,
        detail: {
          drained: drain.drained,
          pending: drain.pending,
          ...(caughtUp ? { catchUp: caughtUp } : {}),
        },
      });
    });
    await held.release({ unpause: false });
    const pauseMs = clock() - started;
    request.log?.info(
      { group: group.name, pauseMs, pending: drain.pending },
      'write rollback: writes on postgres',
    );
    return { group: group.name, from: 'convex', changed: true, pauseMs, drain };
  } catch (err) {
    await held.release().catch(() => undefined);
    throw err;
  }
}
