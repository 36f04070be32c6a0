/**
 * The per-table phase machine: the plan's phases from "not yet mirrored" to
 * "decommissioned", and the gates (the plan's validation checklist) that must
 * be met to enter each one. This table is the one source of truth;
 * docs/phases.md prints it and a test keeps the two equal.
 *
 * A table moves forward one phase at a time, and only when every gate of that
 * step is met (or with --force and a reason, which is audited). It may move
 * back to any earlier phase up to `writes-on-convex` (reads rolled back, a
 * drill to redo), also audited; once its writes are frozen the way back is
 * `tandem unfreeze`, and `decommissioned` is the end.
 */

export const PHASES = [
  'not-mirrored',
  'mirroring',
  'backfilled',
  'verified',
  'reads-on-convex',
  'writes-on-convex',
  'frozen',
  'archived',
  'decommissioned',
] as const;

export type Phase = (typeof PHASES)[number];

export const GATES = {
  'capture-on': 'capture installed and enabled on the table',
  'backfill-complete': 'backfill finished for the table',
  'idempotency-drill': 'an idempotency drill passed (replayed changes changed nothing in Convex)',
  'alert-rules': 'alert rules configured for the table',
  'parity-green': 'parity green for N consecutive days with zero unresolved drift',
  'reads-convex-held': 'read stage `convex` held for N days without a rollback',
  'rollback-drill': 'a rollback drill passed (every instance followed to postgres and back)',
  'writes-moved': "writes moved to Convex for the table's write group",
  'frozen-drained': 'Postgres writes frozen, the outbox drained and a final full parity clean',
  'archive-verified': 'an archive of the table written and its restore verified',
  'guard-clean': 'no SQL reference to the table left in the sources (the guard)',
} as const;

export type GateId = keyof typeof GATES;

export interface Step {
  from: Phase;
  to: Phase;
  gates: readonly GateId[];
}

/** The forward steps, in order: entering `to` needs every gate listed. */
export const STEPS: readonly Step[] = [
  { from: 'not-mirrored', to: 'mirroring', gates: ['capture-on'] },
  { from: 'mirroring', to: 'backfilled', gates: ['backfill-complete'] },
  {
    from: 'backfilled',
    to: 'verified',
    gates: ['idempotency-drill', 'alert-rules', 'parity-green'],
  },
  { from: 'verified', to: 'reads-on-convex', gates: ['reads-convex-held', 'rollback-drill'] },
  { from: 'reads-on-convex', to: 'writes-on-convex', gates: ['writes-moved'] },
  { from: 'writes-on-convex', to: 'frozen', gates: ['frozen-drained'] },
  { from: 'frozen', to: 'archived', gates: ['archive-verified'] },
  { from: 'archived', to: 'decommissioned', gates: ['guard-clean'] },
];

/** The last phase a table may be moved back from: later ones have their own way back (unfreeze). */
export const LAST_REVERSIBLE: Phase = 'writes-on-convex';

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

export function phaseIndex(phase: Phase): number {
  return PHASES.indexOf(phase);
}

/** The step out of `phase`, or null at the end. */
export function nextStep(phase: Phase): Step | null {
  return STEPS.find((s) => s.from === phase) ?? null;
}

export type Move =
  { kind: 'forward'; step: Step } | { kind: 'back' } | { kind: 'refused'; reason: string };

/** What moving a table from `from` to `to` is, before any gate is looked at. */
export function classifyMove(from: Phase, to: Phase): Move {
  const [i, j] = [phaseIndex(from), phaseIndex(to)];
  if (i === j) return { kind: 'refused', reason: `the table is already ${to}` };
  if (j === i + 1) return { kind: 'forward', step: nextStep(from)! };
  if (j > i + 1)
    return {
      kind: 'refused',
      reason: `${to} is more than one phase ahead of ${from}: advance to ${PHASES[i + 1]} first`,
    };
  if (i > phaseIndex(LAST_REVERSIBLE))
    return {
      kind: 'refused',
      reason:
        from === 'decommissioned'
          ? 'a decommissioned table does not come back'
          : `${from} is left only by tandem unfreeze`,
    };
  return { kind: 'back' };
}
