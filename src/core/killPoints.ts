/**
 * Named places where a crash test may SIGKILL this process: between a write's
 * statements, between its commit and the Convex call, mid-batch in the relay,
 * around the backfill's checkpoint. A test sets `TANDEM_KILL_AT=<point>:<n>`
 * in a child process's environment and the process dies, with no cleanup and
 * no `finally`, on the n-th time it reaches that point; then the test restarts
 * the work and checks, exactly, that nothing committed was lost or applied
 * twice (test/reliability/killPoints.test.ts).
 *
 * Without the variable a kill point is one comparison. The variable is read
 * once, when this module loads, so a running process cannot be made to die by
 * a later change of its environment.
 */

/** Every kill point the code has: a test picks among these, and an unknown name is refused. */
export const KILL_POINTS = [
  /** Inside a mirrored write's transaction, before each of the application's statements. */
  'mirror.statement',
  /** After the application's work, before COMMIT. */
  'mirror.beforeCommit',
  /** After COMMIT, before the fast path calls Convex. */
  'mirror.afterCommit',
  /** After the fast path answered (or gave up), before the write returns to its caller. */
  'mirror.afterApply',
  /** After the relay claimed a round of transactions, before applying any. */
  'relay.afterClaim',
  /** Before each Convex call of a round (a round makes several when it packs or splits). */
  'relay.beforeApply',
  /** After Convex acknowledged a call, before its events are marked done. */
  'relay.afterApply',
  /** After a call's events are marked done. */
  'relay.afterComplete',
  /** After a round recorded every outcome, before its claim is released (the lease must then expire). */
  'relay.beforeRelease',
  /** After the backfill read a page, before mapping it. */
  'backfill.afterRead',
  /** Before each Convex call of the backfill. */
  'backfill.beforeApply',
  /** After Convex acknowledged a backfill call, before its checkpoint is written. */
  'backfill.afterApply',
  /** After a checkpoint was written. */
  'backfill.afterCheckpoint',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

export const KILL_AT_VARIABLE = 'TANDEM_KILL_AT';

interface KillAt {
  point: KillPoint;
  hit: number;
}

export function parseKillAt(text: string): KillAt {
  const match = /^([a-zA-Z.]+):([1-9][0-9]*)$/.exec(text.trim());
  if (!match) throw new Error(`${KILL_AT_VARIABLE} must be "<point>:<n>" (n ≥ 1), got "${text}"`);
  const point = match[1] as KillPoint;
  if (!KILL_POINTS.includes(point)) throw new Error(`${KILL_AT_VARIABLE} names an unknown kill point "${match[1]}"; known: ${KILL_POINTS.join(', ')}`);
  return { point, hit: Number(match[2]) };
}

const configured = process.env[KILL_AT_VARIABLE];
const killAt: KillAt | null = configured ? parseKillAt(configured) : null;
let hits = 0;

/** True when this process was started with a kill point (so callers may add per-statement points cheaply). */
export const killPointsArmed = killAt !== null;

export function killPoint(point: KillPoint): void {
  if (killAt === null || killAt.point !== point) return;
  hits += 1;
  if (hits < killAt.hit) return;
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before the call returns on Linux; should it
  // ever not be, block here rather than run one more line of the work.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
