/**
 * Moving a table between phases: forward one step when every gate of the step
 * is met (or forced, with a reason), back to an earlier phase with a reason.
 * Every move is written to tandem.audit_log with who, why, from, to and the
 * gates that were unmet when it was forced.
 */
import type pg from 'pg';
import { recordAudit } from '../capture/audit.js';
import { InvalidInputError } from '../core/errors.js';
import type { MirrorConfig } from '../mapping/index.js';
import { withTransaction } from '../postgres/database.js';
import { checklist, type ChecklistOptions, type GateResult } from './gates.js';
import { classifyMove, isPhase, nextStep, PHASES, type GateId, type Phase } from './phases.js';
import { readPhases, writePhase } from './store.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface AdvanceOptions extends ChecklistOptions {
  /** Target phase (default: the next one). */
  to?: string;
  /** Move past unmet gates; needs `why`. */
  force?: boolean;
  why?: string;
  /** Who asked (default: the Postgres role). */
  actor?: string;
}

export interface AdvanceResult {
  table: string;
  from: Phase;
  to: Phase;
  direction: 'forward' | 'back';
  /** Gates of the step that were unmet and forced past (empty when none). */
  forcedPast: GateId[];
}

/** Refused because gates of the step are unmet; each is named with what its evidence says. */
export class GateNotMetError extends InvalidInputError {
  constructor(
    readonly table: string,
    readonly to: Phase,
    readonly unmet: GateResult[],
  ) {
    super(table, `cannot enter ${to}: ${unmet.map((g) => `${g.gate} (${g.evidence})`).join('; ')}`);
  }
}

export async function advancePhase(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  table: string,
  options: AdvanceOptions = {},
): Promise<AdvanceResult> {
  if (!mirror.tables.some((t) => t.name === table))
    throw new InvalidInputError('table', `${table} is not a mirrored table`);
  if (options.to !== undefined && !isPhase(options.to))
    throw new InvalidInputError('to', `unknown phase ${options.to}; phases: ${PHASES.join(', ')}`);
  const why = options.why?.trim();
  if (options.force && !why) throw new InvalidInputError('why', '--force needs --why "<reason>"');
  const now = options.now ?? new Date();

  const from = (await readPhases(pool, tool, [table])).get(table)!.phase;
  const to = (options.to as Phase | undefined) ?? nextStep(from)?.to;
  if (!to) throw new InvalidInputError('to', `${table} is ${from}, the last phase`);
  const move = classifyMove(from, to);
  if (move.kind === 'refused') throw new InvalidInputError('to', `${table}: ${move.reason}`);
  if (move.kind === 'back' && !why)
    throw new InvalidInputError('why', `moving ${table} back to ${to} needs --why "<reason>"`);

  let forcedPast: GateId[] = [];
  if (move.kind === 'forward') {
    const [list] = await checklist(pool, tool, mirror, [table], options, move.step.gates);
    const unmet = list!.gates.filter((g) => move.step.gates.includes(g.gate) && !g.met);
    if (unmet.length > 0 && !options.force) throw new GateNotMetError(table, to, unmet);
    forcedPast = unmet.map((g) => g.gate);
  }

  await withTransaction(pool, async (tx) => {
    // One mover per table at a time; the phase read above must still hold.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($2 || '.phase:' || $1))`, [table, tool.name]);
    const current = (await readPhases(tx, tool, [table])).get(table)!.phase;
    if (current !== from)
      throw new InvalidInputError(
        'table',
        `${table} moved to ${current} meanwhile; run the command again`,
      );
    await writePhase(tx, tool, table, to, now, forcedPast.length > 0);
    await recordAudit(tx, tool, {
      actor: options.actor,
      action: move.kind === 'forward' ? 'phase.advance' : 'phase.back',
      target: table,
      detail: {
        from,
        to,
        why: why ?? null,
        forced: forcedPast.length > 0,
        unmetGates: forcedPast,
        at: now.toISOString(),
      },
    });
  });
  return { table, from, to, direction: move.kind === 'forward' ? 'forward' : 'back', forcedPast };
}

/** Advances the table step by step while every gate of the next step is met; returns the moves made. */
export async function advanceWhileMet(
  pool: pg.Pool, tool: ToolSchema,
  mirror: MirrorConfig,
  table: string,
  options: Omit<AdvanceOptions, 'to' | 'force' | 'why'> = {},
): Promise<AdvanceResult[]> {
  const moves: AdvanceResult[] = [];
  // advancePhase computes the step's gates itself: a refusal is where to stop.
  while (nextStep((await readPhases(pool, tool, [table])).get(table)!.phase)) {
    try {
      moves.push(await advancePhase(pool, tool, mirror, table, options));
    } catch (err) {
      if (err instanceof GateNotMetError) break;
      throw err;
    }
  }
  return moves;
}
