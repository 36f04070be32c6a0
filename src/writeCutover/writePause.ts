/**
 * Holding a group's writes while its writer changes, for both directions of
 * the switch. The hold is twofold: the group's row gets `paused_at`
 * (committed and notified), which every router reading stages through
 * WriteFlags honours (new writes wait; writes already running finish at the
 * stage they started with), and a router in this process passed as `hold`
 * also waits for its writes in flight. `settleMs` gives routers in other
 * processes time to see the pause; a router passed as `hold` needs none.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { writeStageChannel } from './groupStore.js';
import { toolObjectLiteral, type ToolSchema } from '../core/toolSchema.js';

/** Holds a group's new writes and waits for those in flight (a WriteRouter). */
export interface WriteHold {
  pause(group: string): Promise<void>;
  resume(group: string): void;
}

/** How a switch holds a group's writes and drains, in either direction. */
export interface SwitchTiming {
  /** How long the drain inside the pause may take (ms). Default 10,000. */
  deadlineMs?: number;
  /**
   * How long the catch-up before the pause may take at most (ms); 0 skips
   * it. Default 0 (off: under writes faster than the drain it grew the
   * backlog the pause then drained, see BENCHMARKS.md). It also ends once a round of it
   * (CATCH_UP_ROUND_MS) leaves no fewer changes pending than the one before.
   * Not draining here is no refusal: the pause's own drain finishes the job.
   */
  catchUpMs?: number;
  hold?: WriteHold;
  /** Wait after pausing, before draining, for routers in other processes to see the pause (ms). Default 0. */
  settleMs?: number;
  log?: Logger;
  /** Clock for the pause measurement (ms). Default performance.now. */
  clock?: () => number;
}

/**
 * Sets or clears a group's `paused_at` and tells listening routers. One
 * statement (the update in a CTE, the notify sent when it commits), so the
 * pause costs one round trip: while the process is busy, each round trip can
 * take a long time, and the group's writes are held from here on.
 */
export async function setWritesPaused(
  pool: pg.Pool,
  tool: ToolSchema,
  group: string,
  paused: boolean,
): Promise<void> {
  await pool.query(
    `WITH changed AS (
       UPDATE ${tool.sql}.write_group SET paused_at = CASE WHEN $2::boolean THEN now() END,
              version = nextval(${toolObjectLiteral(tool, 'write_stage_version')}) WHERE name = $1::text)
     SELECT pg_notify($3::text, $1::text)`,
    [group, paused, writeStageChannel(tool)],
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HeldWrites {
  /**
   * Lets the group's writes go. `unpause: false` when the switch's own
   * transaction already cleared `paused_at` with the new stage.
   */
  release(options?: { unpause?: boolean }): Promise<void>;
}

/** Pauses the group and returns once its writes are held (see the module comment). */
export async function holdGroupWrites(
  pool: pg.Pool,
  tool: ToolSchema,
  group: string,
  options: { hold?: WriteHold; settleMs?: number },
): Promise<HeldWrites> {
  await setWritesPaused(pool, tool, group, true);
  let released = false;
  const held: HeldWrites = {
    async release({ unpause = true } = {}) {
      if (released) return;
      released = true;
      try {
        if (unpause) await setWritesPaused(pool, tool, group, false);
      } finally {
        options.hold?.resume(group);
      }
    },
  };
  try {
    await options.hold?.pause(group);
    if (options.settleMs) await sleep(options.settleMs);
  } catch (err) {
    await held.release().catch(() => undefined);
    throw err;
  }
  return held;
}

/** How long one catch-up round may drain before its progress is judged (ms). */
export const CATCH_UP_ROUND_MS = 500;

/**
 * Drains while writes go on, before the pause, so the pause only covers
 * what is written in its last moment. Rounds of `roundMs` go on while each
 * leaves fewer changes pending than the one before, up to `capMs`: when
 * writes come in faster than they are drained, catching up cannot succeed,
 * and every further moment would only grow what the pause has to drain.
 */
export async function catchUpBeforePause<R extends { drained: boolean; pending: number }>(
  drain: (deadlineMs: number) => Promise<R>,
  capMs: number,
  options: { roundMs?: number; stop?: (result: R) => boolean } = {},
): Promise<R | null> {
  if (capMs <= 0) return null;
  const roundMs = options.roundMs ?? CATCH_UP_ROUND_MS;
  const until = performance.now() + capMs;
  let last: R | null = null;
  for (;;) {
    const left = until - performance.now();
    const result = await drain(Math.max(1, Math.ceil(Math.min(roundMs, left))));
    const stalled = last !== null && result.pending >= last.pending;
    last = result;
    if (result.drained || stalled || options.stop?.(result) || left <= roundMs) return result;
  }
}
