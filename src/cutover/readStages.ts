/**
 * The read stages of a table and the one table of allowed moves between them.
 * Typed `Record<ReadStage, Record<ReadStage, Transition>>`, so adding a stage
 * without deciding every move to and from it does not compile.
 * docs/read-cutover.md carries the same table; a test keeps the two equal.
 */
import { InvalidInputError } from '../core/errors.js';

/** From the most conservative (every read from Postgres) to the least. */
export const READ_STAGES = ['postgres', 'shadow', 'convex-internal', 'convex-percent', 'convex'] as const;
export type ReadStage = (typeof READ_STAGES)[number];

/**
 * - `allowed`: done on request;
 * - `force`: needs `--force` (skips a step that proves Convex right), and is audited as forced;
 * - `same`: the table is already there (only `convex-percent` accepts it, to change the percentage).
 */
export type Transition = 'allowed' | 'force' | 'same';

export const TRANSITIONS: Record<ReadStage, Record<ReadStage, Transition>> = {
  postgres: {
    postgres: 'same',
    shadow: 'allowed',
    'convex-internal': 'force',
    'convex-percent': 'force',
    convex: 'force',
  },
  shadow: {
    postgres: 'allowed',
    shadow: 'same',
    'convex-internal': 'allowed',
    'convex-percent': 'allowed',
    convex: 'force',
  },
  'convex-internal': {
    postgres: 'allowed',
    shadow: 'allowed',
    'convex-internal': 'same',
    'convex-percent': 'allowed',
    convex: 'force',
  },
  'convex-percent': {
    postgres: 'allowed',
    shadow: 'allowed',
    'convex-internal': 'allowed',
    'convex-percent': 'same',
    convex: 'allowed',
  },
  convex: {
    postgres: 'allowed',
    shadow: 'allowed',
    'convex-internal': 'allowed',
    'convex-percent': 'allowed',
    convex: 'same',
  },
};

export function isReadStage(value: string): value is ReadStage {
  return (READ_STAGES as readonly string[]).includes(value);
}

export function stageRank(stage: ReadStage): number {
  return READ_STAGES.indexOf(stage);
}

/** The most conservative of several stages (`postgres` for none). */
export function mostConservative(stages: Iterable<ReadStage>): ReadStage {
  let rank = READ_STAGES.length - 1;
  let any = false;
  for (const stage of stages) {
    any = true;
    rank = Math.min(rank, stageRank(stage));
  }
  return any ? READ_STAGES[rank]! : 'postgres';
}

/** A table's stage with its percentage (meaningful in `convex-percent`: 0 below it, 100 at `convex`). */
export interface StageSetting {
  stage: ReadStage;
  percent: number;
}

/** A percentage with at most two decimals: 10,000 buckets give 0.01 % steps. */
export function checkPercent(percent: number, field = 'percent'): number {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100)
    throw new InvalidInputError(field, `must be a number from 0 to 100 (got ${String(percent)})`);
  if (Math.round(percent * 100) !== percent * 100)
    throw new InvalidInputError(field, `at most two decimals (0.01 % steps; got ${percent})`);
  return percent;
}

/** The percentage a stage stores: its own for `convex-percent`, otherwise implied by the stage. */
export function impliedPercent(stage: ReadStage, percent: number | undefined): number {
  if (stage === 'convex-percent') {
    if (percent === undefined) throw new InvalidInputError('percent', 'convex-percent needs a percentage (--percent N)');
    return checkPercent(percent);
  }
  if (percent !== undefined)
    throw new InvalidInputError('percent', `only convex-percent takes a percentage (stage ${stage})`);
  return stage === 'convex' ? 100 : 0;
}

export type TransitionCheck =
  | { ok: true; forced: boolean }
  | { ok: false; reason: 'needs_force' | 'unchanged'; message: string };

/** Whether `from` may move to `to` (a percentage change counts as a move within convex-percent). */
export function checkTransition(
  from: StageSetting,
  to: StageSetting,
  options: { force?: boolean } = {},
): TransitionCheck {
  const rule = TRANSITIONS[from.stage][to.stage];
  if (rule === 'same') {
    if (from.stage === 'convex-percent' && from.percent !== to.percent) return { ok: true, forced: false };
    return { ok: false, reason: 'unchanged', message: `already at ${describeSetting(from)}` };
  }
  if (rule === 'force' && !options.force)
    return {
      ok: false,
      reason: 'needs_force',
      message: `${from.stage} → ${to.stage} skips ${skippedStep(from.stage, to.stage)}; pass --force to do it anyway (audited)`,
    };
  return { ok: true, forced: rule === 'force' };
}

function skippedStep(from: ReadStage, to: ReadStage): string {
  return from === 'postgres' && to !== 'shadow' ? 'shadow' : 'convex-percent (a sticky ramp)';
}

export function describeSetting(s: StageSetting): string {
  return s.stage === 'convex-percent' ? `convex-percent ${s.percent} %` : s.stage;
}
