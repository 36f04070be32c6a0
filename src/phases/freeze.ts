/**
 * `tandem freeze <table>`: from now on Postgres refuses every write to the
 * table (SQLSTATE TF001, naming the table), so a write path someone forgot
 * fails loudly instead of writing where nobody reads. Then the table's outbox
 * is drained to zero and a final full parity proves Postgres and Convex equal;
 * that outcome is the checklist's freeze evidence. `tandem unfreeze` takes the
 * triggers away again, audited.
 *
 * Waiting for transactions already in flight comes from the lock: CREATE
 * TRIGGER takes SHARE ROW EXCLUSIVE, which waits for every transaction that
 * has written the table (they hold ROW EXCLUSIVE) and keeps new writers out
 * until the trigger is in place. `lockTimeoutMs` bounds that wait.
 */
import pg from 'pg';
import { recordAudit } from '../capture/audit.js';
import { refusedFrozenWrites } from '../capture/status.js';
import { InvalidInputError } from '../core/errors.js';
import { qualifiedTable, requireTable, type MirrorConfig } from '../mapping/index.js';
import type { ParityReport } from '../parity/findings.js';
import { withTransaction, type Queryable } from '../postgres/database.js';
import type { PhaseSources } from './gates.js';
import { phaseIndex, type Phase } from './phases.js';
import { readStageSource } from './readStageSource.js';
import {
  frozenTables,
  pendingByTable,
  readPhases,
  recordEvidence,
  writePhase,
  type Evidence,
} from './store.js';
import crypto from 'node:crypto';
import { quoteIdentifier } from '../mapping/index.js';
import { toolScopedName, type ToolSchema } from '../core/toolSchema.js';

/** The SQLSTATE a frozen table's writes fail with (docs/phases.md). */
export const FROZEN_SQLSTATE = 'TF001';
// Per tool schema, so two tool schemas freezing one table do not replace each other's triggers.
const rowTrigger = (tool: ToolSchema) => toolScopedName(tool, 'tandem_freeze');
const truncateTrigger = (tool: ToolSchema) => toolScopedName(tool, 'tandem_freeze_truncate');
/** The sequence counting a frozen table's refused writes (migration 0018): a name of bounded length per table. */
const refusalsSequence = (tool: ToolSchema, table: string) =>
  `${tool.sql}.${quoteIdentifier(`frozen_refusals_${crypto.createHash('sha256').update(table).digest('hex').slice(0, 16)}`)}`;

export interface FreezeOptions {
  why: string;
  dryRun?: boolean;
  /** The table is frozen already: drain and run the final parity again (after a repair). */
  recheck?: boolean;
  actor?: string;
  now?: () => Date;
  /** How long to wait for in-flight writers before giving up (default 60 s). */
  lockTimeoutMs?: number;
  /** How long to wait for the relay to drain the table's outbox (default 5 min). */
  drainTimeoutMs?: number;
  pollMs?: number;
  /** Runs the final full parity of the table (the CLI passes runParity with the Convex target). */
  finalParity(table: string): Promise<ParityReport>;
  sources?: PhaseSources;
}

export interface FreezeResult {
  table: string;
  dryRun: boolean;
  phase: Phase;
  /** Transactions holding a write lock on the table when the freeze began. */
  writersInFlight: number;
  pendingBefore: number;
  /** Null on a dry run. */
  parityClean: boolean | null;
  evidence: Evidence | null;
}

async function pendingCount(db: Queryable, tool: ToolSchema, table: string): Promise<number> {
  return (await pendingByTable(db, tool, [table])).get(table) ?? 0;
}

async function writersInFlight(db: Queryable, qualified: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(DISTINCT pid) AS n FROM pg_catalog.pg_locks
      WHERE relation = $1::regclass AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()`,
    [qualified],
  );
  return Number(rows[0]!.n);
}

export async function isFrozen(db: Queryable, tool: ToolSchema, table: string): Promise<boolean> {
  return (await frozenTables(db, tool, [table])).has(table);
}

async function checkFreezable(
  pool: pg.Pool, tool: ToolSchema,
  table: string,
  sources: PhaseSources | undefined,
  now: Date,
): Promise<Phase> {
  if (await isFrozen(pool, tool, table))
    throw new InvalidInputError('table', `${table} is already frozen`);
  const phase = (await readPhases(pool, tool, [table])).get(table)!.phase;
  if (phaseIndex(phase) < phaseIndex('writes-on-convex'))
    throw new InvalidInputError(
      'table',
      `${table} is ${phase}: freeze only a table whose writes moved to Convex (phase writes-on-convex)`,
    );
  const read = await (sources?.readStage ?? readStageSource(pool, tool))(table, now);
  if (read.stage !== 'convex')
    throw new InvalidInputError(
      'table',
      `${table} reads are on ${read.stage}, not convex: freezing would serve reads from a table nobody writes`,
    );
  return phase;
}

export async function freezeTable(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  tableName: string,
  options: FreezeOptions,
): Promise<FreezeResult> {
  const table = requireTable(mirror, tableName);
  const why = options.why?.trim();
  if (!why) throw new InvalidInputError('why', 'freeze needs --why "<reason>"');
  const now = options.now ?? (() => new Date());
  const recheck = options.recheck === true;
  if (recheck && !(await isFrozen(pool, tool, table.name)))
    throw new InvalidInputError(
      'table',
      `${table.name} is not frozen: --recheck re-proves a freeze`,
    );
  const phase = recheck
    ? (await readPhases(pool, tool, [table.name])).get(table.name)!.phase
    : await checkFreezable(pool, tool, table.name, options.sources, now());
  const qualified = qualifiedTable(table);
  const facts = {
    table: table.name,
    phase,
    writersInFlight: await writersInFlight(pool, qualified),
    pendingBefore: await pendingCount(pool, tool, table.name),
  };
  if (options.dryRun) return { ...facts, dryRun: true, parityClean: null, evidence: null };
  if (!recheck) await installFreeze(pool, tool, qualified, why, now(), facts, options);
  return drainAndProve(pool, tool, facts, now, options);
}

type FreezeFacts = Pick<FreezeResult, 'table' | 'phase' | 'writersInFlight' | 'pendingBefore'>;

async function installFreeze(
  pool: pg.Pool, tool: ToolSchema,
  qualified: string,
  why: string,
  at: Date,
  facts: FreezeFacts,
  options: FreezeOptions,
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [
      `${options.lockTimeoutMs ?? 60_000}ms`,
    ]);
    // Each refused write draws from this sequence before its transaction rolls back: the count survives.
    const refusals = refusalsSequence(tool, facts.table);
    await tx.query(`CREATE SEQUENCE IF NOT EXISTS ${refusals} MINVALUE 0 START 0`);
    await tx.query(`SELECT setval($1::regclass, 0, false)`, [refusals]);
    // Trigger arguments are literals, never bound parameters.
    const argument = pg.escapeLiteral(refusals);
    // Row triggers on a partitioned table are cloned to every partition, present and future.
    await tx.query(
      `CREATE TRIGGER ${rowTrigger(tool)} BEFORE INSERT OR UPDATE OR DELETE ON ${qualified}
         FOR EACH ROW EXECUTE FUNCTION ${tool.sql}.reject_frozen_write(${argument})`,
    );
    await tx.query(
      `CREATE TRIGGER ${truncateTrigger(tool)} BEFORE TRUNCATE ON ${qualified}
         FOR EACH STATEMENT EXECUTE FUNCTION ${tool.sql}.reject_frozen_write(${argument})`,
    );
    await tx.query(
      `INSERT INTO ${tool.sql}.table_freeze (table_name, frozen_at, why, refusals_seq) VALUES ($1, $2, $3, $4)`,
      [facts.table, at, why, refusals],
    );
    await recordAudit(tx, tool, {
      actor: options.actor,
      action: 'freeze',
      target: facts.table,
      detail: { why, ...facts },
    });
  });
}

async function drainAndProve(
  pool: pg.Pool, tool: ToolSchema,
  facts: FreezeFacts,
  now: () => Date,
  options: FreezeOptions,
): Promise<FreezeResult> {
  const deadline = Date.now() + (options.drainTimeoutMs ?? 300_000);
  let pending = await pendingCount(pool, tool, facts.table);
  while (pending > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    pending = await pendingCount(pool, tool, facts.table);
  }
  let parityClean = false;
  let summary: string;
  if (pending > 0) {
    summary = `frozen, but ${pending} change(s) still pending after the drain timeout: is a relay running?`;
  } else {
    const report = await options.finalParity(facts.table);
    parityClean = report.clean;
    summary = parityClean
      ? `frozen, outbox drained, final full parity clean (${report.tables[facts.table]?.compared ?? 0} rows compared)`
      : 'frozen and drained, but the final parity found drift: repair it, then run tandem freeze --recheck';
  }
  const evidence = await recordEvidence(pool, tool, {
    table: facts.table,
    kind: 'freeze',
    passed: parityClean,
    recordedAt: now(),
    detail: { summary, pendingBefore: facts.pendingBefore, writersInFlight: facts.writersInFlight },
  });
  return { ...facts, dryRun: false, parityClean, evidence };
}

export interface UnfreezeResult {
  table: string;
  /** The phase the table is in afterwards (frozen and archived go back to writes-on-convex). */
  phase: Phase;
}

export async function unfreezeTable(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  tableName: string,
  options: { why: string; actor?: string; now?: Date },
): Promise<UnfreezeResult> {
  const table = requireTable(mirror, tableName);
  const why = options.why?.trim();
  if (!why) throw new InvalidInputError('why', 'unfreeze needs --why "<reason>"');
  return withTransaction(pool, async (tx) => {
    if (!(await isFrozen(tx, tool, table.name)))
      throw new InvalidInputError('table', `${table.name} is not frozen`);
    const current = (await readPhases(tx, tool, [table.name])).get(table.name)!.phase;
    if (current === 'decommissioned')
      throw new InvalidInputError(
        'table',
        `${table.name} is decommissioned: it does not come back`,
      );
    const qualified = qualifiedTable(table);
    const refused = (await refusedFrozenWrites(tx, tool)).get(table.name) ?? 0;
    await tx.query(`DROP TRIGGER IF EXISTS ${rowTrigger(tool)} ON ${qualified}`);
    await tx.query(`DROP TRIGGER IF EXISTS ${truncateTrigger(tool)} ON ${qualified}`);
    const { rows } = await tx.query<{ refusals_seq: string | null }>(
      `DELETE FROM ${tool.sql}.table_freeze WHERE table_name = $1 RETURNING refusals_seq`,
      [table.name],
    );
    if (rows[0]?.refusals_seq) await tx.query(`DROP SEQUENCE IF EXISTS ${rows[0].refusals_seq}`);
    const phase: Phase =
      phaseIndex(current) > phaseIndex('writes-on-convex') ? 'writes-on-convex' : current;
    if (phase !== current)
      await writePhase(tx, tool, table.name, phase, options.now ?? new Date(), false);
    await recordAudit(tx, tool, {
      actor: options.actor,
      action: 'unfreeze',
      target: table.name,
      detail: { why, from: current, to: phase, refusedWhileFrozen: refused },
    });
    return { table: table.name, phase };
  });
}
