/**
 * Moving a group's writer back from Convex to Postgres without losing a write:
 * hold the group's writes, drain reverse sync (every change Convex committed
 * is applied to Postgres), and only then switch the stage to `postgres` and
 * let writes go on, now into Postgres.
 *
 * The hold is twofold. The group's row gets `paused_at` (committed and
 * notified), which every router that reads the stages through WriteFlags
 * honours within one poll (new writes wait; writes already running finish at
 * the stage they started with). A router in this process can be passed as
 * `hold`, which also waits for its writes in flight. `settleMs` gives routers
 * in other processes time to see the pause before the drain starts.
 *
 * Reverse sync is another part of the write cutover; it comes in through the
 * `WriteDrain` port. A drain that does not finish by its deadline refuses the
 * switch: the group stays on Convex, the pause is lifted, nothing is audited
 * as a move.
 */
import type pg from 'pg';
import { TandemError } from '../core/errors.js';
import type { Logger } from '../log.js';
import { withTransaction } from '../postgres/database.js';
import {
  lockWriteGroup,
  readWriteGroups,
  requireWhy,
  unknownGroupError,
  writeStageChannel,
} from './groupStore.js';
import { recordWriteStageChange } from './stageStore.js';
import type { WriteStage } from './writeStages.js';
import { toolObjectLiteral, type ToolSchema } from '../core/toolSchema.js';

/** Reverse sync's side of a rollback: apply to Postgres every committed Convex change of the group. */
export interface WriteDrain {
  drain(group: string, deadlineMs: number): Promise<{ drained: boolean; pending: number }>;
}

/** Holds a group's new writes and waits for those in flight (a WriteRouter). */
export interface WriteHold {
  pause(group: string): Promise<void>;
  resume(group: string): void;
}

export interface WriteRollbackRequest {
  group: string;
  actor: string;
  why: string;
  drain: WriteDrain;
  /** How long the drain may take (ms). Default 10,000. */
  deadlineMs?: number;
  hold?: WriteHold;
  /** Wait after pausing, before draining, for routers in other processes to see the pause (ms). Default 0. */
  settleMs?: number;
  log?: Logger;
  /** Clock for the pause measurement (ms). Default performance.now. */
  clock?: () => number;
}

export interface WriteRollbackResult {
  group: string;
  from: WriteStage;
  /** False when the group already wrote to Postgres (nothing done). */
  changed: boolean;
  /** How long the group's writes were held (ms); 0 when no drain was needed. */
  pauseMs: number;
  drain: { drained: boolean; pending: number } | null;
}

/** The drain did not finish: the group stays on Convex. */
export class WriteRollbackRefusedError extends TandemError {
  readonly field = 'drain';
  constructor(
    readonly group: string,
    readonly pending: number,
    readonly pauseMs: number,
  ) {
    super(
      `drain: ${group}: reverse sync did not drain in time (${pending} change(s) still pending); writes stay on convex, resumed after ${Math.round(pauseMs)} ms`,
    );
  }
}

async function setPaused(pool: pg.Pool, tool: ToolSchema, group: string, paused: boolean): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query(
      `UPDATE ${tool.sql}.write_group SET paused_at = CASE WHEN $2 THEN now() END,
              version = nextval(${toolObjectLiteral(tool, 'write_stage_version')}) WHERE name = $1`,
      [group, paused],
    );
    await tx.query('SELECT pg_notify($1, $2)', [writeStageChannel(tool), group]);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const clock = request.clock ?? (() => performance.now());
  const started = clock();
  await setPaused(pool, tool, group.name, true);
  let resumed = false;
  const resume = () => {
    if (!resumed) request.hold?.resume(group.name);
    resumed = true;
  };
  try {
    await request.hold?.pause(group.name);
    if (request.settleMs) await sleep(request.settleMs);
    const drain = await request.drain.drain(group.name, request.deadlineMs ?? 10_000);
    if (!drain.drained) {
      await setPaused(pool, tool, group.name, false);
      resume();
      const pauseMs = clock() - started;
      request.log?.warn(
        { group: group.name, pending: drain.pending, pauseMs },
        'write rollback refused: not drained',
      );
      throw new WriteRollbackRefusedError(group.name, drain.pending, pauseMs);
    }
    const switched = clock();
    await withTransaction(pool, async (tx) => {
      await lockWriteGroup(tx, tool, group.name);
      await recordWriteStageChange(tx, tool, {
        ...base,
        from: 'convex',
        to: 'postgres',
        pauseMs: switched - started,
        detail: { drained: drain.drained, pending: drain.pending },
      });
    });
    resume();
    const pauseMs = clock() - started;
    request.log?.info(
      { group: group.name, pauseMs, pending: drain.pending },
      'write rollback: writes on postgres',
    );
    return { group: group.name, from: 'convex', changed: true, pauseMs, drain };
  } catch (err) {
    if (!resumed) {
      await setPaused(pool, tool, group.name, false).catch(() => undefined);
      resume();
    }
    throw err;
  }
}
