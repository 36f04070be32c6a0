/**
 * `tandem drill rollback <table>`: moves the table's reads to `postgres` and
 * back to where they were, and measures how long each running instance took
 * to follow each move. An instance is one process holding the read stages
 * (ReadFlags), registered in tandem.read_instance with a heartbeat; every
 * instance live when the drill starts must acknowledge both changes within
 * the timeout, or the drill fails naming those that did not. The outcome is
 * recorded as the `rollback-drill` gate's evidence either way.
 *
 * Both moves are stored with rule `rollback-drill`, so the audit log says
 * what made them and the `reads-convex-held` gate does not count the drill as
 * a rollback. The way back is a forced move (postgres → a Convex stage skips
 * steps) guarded by the version the drill wrote: if anyone changed the stage
 * meanwhile (an operator, an automatic rollback), the drill leaves their stage
 * alone and fails.
 */
import type pg from 'pg';
import { InvalidInputError } from '../core/errors.js';
import { changeReadStage, readFlagRows, ReadStageRefusedError } from '../cutover/flagStore.js';
import {
  DEFAULT_STALE_AFTER_MS,
  listReadInstances,
  type ReadInstance,
} from '../cutover/instances.js';
import { describeSetting, type StageSetting } from '../cutover/readStages.js';
import type { MirrorConfig } from '../mapping/index.js';
import { recordEvidence, type Evidence } from './store.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** The rule the drill's two stage changes are recorded under. */
export const ROLLBACK_DRILL_RULE = 'rollback-drill';

const CONVEX_STAGES = ['convex-internal', 'convex-percent', 'convex'];

export interface RollbackDrillOptions {
  /** How long each move may take to reach every instance (ms). Default 5000. */
  timeoutMs?: number;
  /** An instance whose heartbeat is older than this is not running (ms). Default 5000. */
  staleAfterMs?: number;
  /** How often acknowledgements are read while waiting (ms). Default 50. */
  pollMs?: number;
  /** Who runs the drill (the audit log). */
  actor?: string;
  /** When the evidence is recorded (a moved clock for tests). */
  now?: Date;
  /** Test point: runs after the instances followed to postgres, before the stage is moved back. */
  beforeRestore?(): Promise<void>;
}

export interface InstanceFollow {
  id: string;
  host: string;
  pid: number;
  label: string | null;
  /** How long the instance took to apply the move to postgres, and the move back (ms); null: not within the timeout. */
  toPostgresMs: number | null;
  backMs: number | null;
}

export interface RollbackDrillResult {
  table: string;
  passed: boolean;
  /** The stage the table was on, and is on again when `restored`. */
  stage: StageSetting;
  restored: boolean;
  instances: InstanceFollow[];
  /** Instances that did not follow a move within the timeout. */
  notFollowed: string[];
  /** The slowest follow over every instance and both moves (ms). */
  slowestMs: number | null;
  evidence: Evidence;
}

interface Move {
  version: number;
  at: Date;
}

function requireKnown(mirror: MirrorConfig, table: string): void {
  const known = mirror.tables.map((t) => t.name);
  if (!known.includes(table))
    throw new InvalidInputError(
      'table',
      `${JSON.stringify(table)} is not a mirrored table (known: ${known.join(', ') || 'none'})`,
    );
}

/**
 * Waits until every instance acknowledged `move` (a version at least as new)
 * or the timeout passed; returns how long each took, null for those that did not.
 */
async function waitForFollowers(
  pool: pg.Pool, tool: ToolSchema,
  ids: readonly string[],
  move: Move,
  options: { timeoutMs: number; pollMs: number },
): Promise<Map<string, number | null>> {
  const deadline = Date.now() + options.timeoutMs;
  const followed = new Map<string, number | null>();
  for (;;) {
    const { rows } = await pool.query<{ id: string; ms: number }>(
      `SELECT id, greatest(0, extract(epoch FROM applied_at - $3::timestamptz) * 1000)::float8 AS ms
         FROM ${tool.sql}.read_instance WHERE id = ANY($1::text[]) AND applied_version >= $2`,
      [ids, move.version, move.at],
    );
    for (const r of rows) followed.set(r.id, Math.round(r.ms));
    if (followed.size === ids.length || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  return new Map(ids.map((id) => [id, followed.get(id) ?? null]));
}

const nameOf = (i: Pick<ReadInstance, 'id' | 'label'>) => (i.label ? `${i.id} (${i.label})` : i.id);

export async function rollbackDrill(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  table: string,
  options: RollbackDrillOptions = {},
): Promise<RollbackDrillResult> {
  requireKnown(mirror, table);
  const timeoutMs = options.timeoutMs ?? 5000;
  const wait = { timeoutMs, pollMs: options.pollMs ?? 50 };
  const flag = (await readFlagRows(pool, tool)).find((f) => f.table === table);
  if (!flag || !CONVEX_STAGES.includes(flag.stage))
    throw new InvalidInputError(
      'table',
      `${table} reads from ${flag?.stage ?? 'postgres'}: a rollback drill needs it on a Convex read stage (${CONVEX_STAGES.join(', ')})`,
    );
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const live = (await listReadInstances(pool, tool, { staleAfterMs })).filter((i) => i.live);
  if (live.length === 0)
    throw new InvalidInputError(
      'instances',
      `no running instance holds the read stages (none beat within ${staleAfterMs} ms): start the application, then drill`,
    );
  const stage: StageSetting = { stage: flag.stage, percent: flag.percent };
  const ids = live.map((i) => i.id);
  const known = mirror.tables.map((t) => t.name);
  const change = {
    table,
    actor: options.actor ?? 'tandem drill rollback',
    rule: ROLLBACK_DRILL_RULE,
  };

  const toPostgres = await changeReadStage(pool, tool, known, {
    ...change,
    stage: 'postgres',
    why: `rollback drill: reads to postgres (from ${describeSetting(stage)})`,
    ifVersion: flag.version,
  });
  let down = new Map<string, number | null>();
  let back = new Map<string, number | null>();
  let waitFailed: unknown = null;
  try {
    down = await waitForFollowers(pool, tool, ids, toPostgres, wait);
  } catch (err) {
    waitFailed = err;
  }
  // Back to where the table was even when waiting failed: the drill must not leave reads moved.
  let restored = false;
  let refusal: string | null = null;
  await options.beforeRestore?.();
  try {
    const restore = await changeReadStage(pool, tool, known, {
      ...change,
      stage: stage.stage,
      percent: stage.stage === 'convex-percent' ? stage.percent : undefined,
      force: true,
      why: `rollback drill: reads back to ${describeSetting(stage)}`,
      ifVersion: toPostgres.version,
    });
    restored = true;
    back = await waitForFollowers(pool, tool, ids, restore, wait);
  } catch (err) {
    if (!(err instanceof ReadStageRefusedError && err.reason === 'changed')) throw err;
    refusal = err.message;
  }
  if (waitFailed) throw waitFailed;

  const instances: InstanceFollow[] = live.map((i) => ({
    id: i.id,
    host: i.host,
    pid: i.pid,
    label: i.label,
    toPostgresMs: down.get(i.id) ?? null,
    backMs: restored ? (back.get(i.id) ?? null) : null,
  }));
  const late = instances.filter((i) => i.toPostgresMs === null || (restored && i.backMs === null));
  const notFollowed = late.map(nameOf);
  const times = instances.flatMap((i) => [i.toPostgresMs, i.backMs]).filter((t) => t !== null);
  const slowestMs = times.length ? Math.max(...times) : null;
  const passed = restored && late.length === 0;
  const summary = passed
    ? `${instances.length} instance(s) followed to postgres and back to ${describeSetting(stage)}, slowest ${slowestMs} ms`
    : [
        notFollowed.length
          ? `${notFollowed.length} of ${instances.length} instance(s) did not follow within ${timeoutMs} ms: ${notFollowed.join(', ')}`
          : null,
        restored ? null : `not restored: ${refusal}`,
      ]
        .filter(Boolean)
        .join('; ');
  const evidence = await recordEvidence(pool, tool, {
    table,
    kind: 'rollback-drill',
    passed,
    recordedAt: options.now ?? new Date(),
    detail: {
      summary,
      stage,
      restored,
      timeoutMs,
      staleAfterMs,
      versions: { toPostgres: toPostgres.version },
      instances,
      notFollowed,
      slowestMs,
    },
  });
  return { table, passed, stage, restored, instances, notFollowed, slowestMs, evidence };
}
