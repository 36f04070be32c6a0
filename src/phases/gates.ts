/**
 * The checklist: every gate of every table, computed from live state (capture,
 * backfill, outbox, parity history) and from recorded evidence (drills, freeze,
 * archive), never from a checkbox. Facts owned by later stages of the plan
 * (read stages, write groups, alert rules, the guard's scan) come in through
 * `PhaseSources`; a gate whose source is absent is unmet and says why.
 */
import { captureStatus, type TableCaptureStatus } from '../capture/status.js';
import { backfillStatus, type TableBackfillStatus } from '../backfill/status.js';
import type { MirrorConfig } from '../mapping/index.js';
import { parityStatus } from '../parity/streak.js';
import type { Queryable } from '../postgres/database.js';
import { GATES, nextStep, STEPS, type GateId, type Phase } from './phases.js';
import { readStageSource } from './readStageSource.js';
import {
  decommissionedTables,
  frozenTables,
  latestEvidence,
  pendingByTable,
  readPhases,
  type Evidence,
  type EvidenceKind,
} from './store.js';
import type { ToolSchema } from '../core/toolSchema.js';

const DAY_MS = 86_400_000;

export interface ReadStageFacts {
  stage: string;
  /** When the table entered its current stage. */
  since: Date | null;
  /** The latest move back to `postgres` (a rollback), if any. */
  lastRollbackAt: Date | null;
}

/**
 * The alert rules the plan's "retry and alerts configured" gate asks for: on
 * mirror failures, on lag and on dead letters (names of src/alerts conditions).
 */
export const PLAN_ALERT_RULES: readonly string[] = ['mirrorFailureRate', 'lag', 'deadLetters'];

/** Facts the phase machine reads from other parts of the plan, each optional. */
export interface PhaseSources {
  /** The table's read stage (default: the read cutover's flag store). */
  readStage?(table: string, now: Date): Promise<ReadStageFacts>;
  /** Names of the alert rules enabled for the table (src/alerts condition names). */
  alertRules?(table: string): Promise<readonly string[]>;
  /** The write stage of the table's write group (the write cutover). */
  writeStage?(table: string): Promise<{ stage: string; since: Date | null }>;
  /** Source locations that still reference the table (a guard scan). */
  guardReferences?(table: string): Promise<readonly string[]>;
}

export interface ChecklistOptions {
  now?: Date;
  /** Consecutive green parity days required (default 7). */
  parityDays?: number;
  /** Days the read stage must have been `convex` without a rollback (default 7). */
  readDays?: number;
  sources?: PhaseSources;
}

export interface GateResult {
  gate: GateId;
  description: string;
  met: boolean;
  /** What was looked at, in words: the evidence, or what is missing. */
  evidence: string;
  /** When the gate was met, where that is known (live state has no date). */
  metAt: Date | null;
}

export interface TableChecklist {
  table: string;
  phase: Phase;
  enteredAt: Date | null;
  forced: boolean;
  /** The phase after this one, null at the end. */
  next: Phase | null;
  /** Gates of the step into `next` that are not met. */
  unmet: GateId[];
  /** Every gate of the plan, in step order. */
  gates: GateResult[];
}

interface TableFacts {
  capture: TableCaptureStatus | undefined;
  backfill: TableBackfillStatus | undefined;
  evidence: Map<EvidenceKind, Evidence>;
  frozen: { frozenAt: Date } | null;
  pending: number;
}

type GateCheck = Omit<GateResult, 'gate' | 'description'>;

const unmet = (evidence: string): GateCheck => ({ met: false, evidence, metAt: null });

function fromEvidence(found: Evidence | undefined, what: string, how: string): GateCheck {
  if (!found) return unmet(`no ${what} recorded: run ${how}`);
  const summary = typeof found.detail.summary === 'string' ? `: ${found.detail.summary}` : '';
  if (!found.passed)
    return unmet(`the last ${what} failed at ${found.recordedAt.toISOString()}${summary}`);
  return { met: true, evidence: `${what} passed${summary}`, metAt: found.recordedAt };
}

async function checkGate(
  db: Queryable, tool: ToolSchema,
  gate: GateId,
  table: string,
  facts: TableFacts,
  options: Required<Omit<ChecklistOptions, 'sources'>> & { sources: PhaseSources },
): Promise<GateCheck> {
  const { now, sources } = options;
  switch (gate) {
    case 'capture-on': {
      const state = facts.capture?.state ?? 'missing-table';
      return state === 'enabled'
        ? { met: true, evidence: 'capture trigger enabled and current', metAt: null }
        : unmet(`capture is ${state}: run tandem capture install`);
    }
    case 'backfill-complete': {
      const b = facts.backfill;
      if (b?.phase === 'done')
        return {
          met: true,
          evidence: `backfill done, ${b.rowsCopied} rows copied`,
          metAt: b.finishedAt,
        };
      return unmet(`backfill is ${b?.phase ?? 'not started'}: run tandem backfill`);
    }
    case 'idempotency-drill':
      return fromEvidence(
        facts.evidence.get('idempotency-drill'),
        'idempotency drill',
        `tandem drill idempotency ${table}`,
      );
    case 'rollback-drill':
      return fromEvidence(
        facts.evidence.get('rollback-drill'),
        'rollback drill',
        `tandem drill rollback ${table}`,
      );
    case 'alert-rules': {
      if (!sources.alertRules) return unmet('no alert rules were given to the checklist');
      const rules = await sources.alertRules(table);
      const missing = PLAN_ALERT_RULES.filter((rule) => !rules.includes(rule));
      return missing.length === 0
        ? { met: true, evidence: `alert rules: ${rules.join(', ')}`, metAt: null }
        : unmet(`alert rules off for the table: ${missing.join(', ')} (alerts in the project config)`);
    }
    case 'parity-green': {
      const status = await parityStatus(db, tool, now, { table });
      if (status.unresolved.length > 0)
        return unmet(
          `${status.unresolvedKeys} unresolved drift key(s): run tandem repair, then parity`,
        );
      if (status.streakDays < options.parityDays)
        return unmet(`parity green ${status.streakDays} of ${options.parityDays} consecutive days`);
      // The day the streak reached the required length.
      const ends = Date.parse(`${status.streakEnds}T00:00:00Z`);
      const reached = new Date(ends - (status.streakDays - options.parityDays) * DAY_MS);
      return {
        met: true,
        evidence: `parity green ${status.streakDays} consecutive days, no unresolved drift`,
        metAt: reached,
      };
    }
    case 'reads-convex-held': {
      if (!sources.readStage) return unmet('no read stages');
      const read = await sources.readStage(table, now);
      if (read.stage !== 'convex') return unmet(`read stage is ${read.stage}, not convex`);
      const since = read.since ?? now;
      const heldFrom =
        read.lastRollbackAt && read.lastRollbackAt > since ? read.lastRollbackAt : since;
      const heldDays = (now.getTime() - heldFrom.getTime()) / DAY_MS;
      if (heldDays < options.readDays)
        return unmet(`reads on convex for ${heldDays.toFixed(1)} of ${options.readDays} days`);
      return {
        met: true,
        evidence: `reads on convex since ${heldFrom.toISOString()}, no rollback`,
        metAt: new Date(heldFrom.getTime() + options.readDays * DAY_MS),
      };
    }
    case 'writes-moved': {
      if (!sources.writeStage)
        return unmet(
          'write cutover is not built yet: once writes have moved by other means, advance with --force --why',
        );
      const write = await sources.writeStage(table);
      return write.stage === 'convex'
        ? { met: true, evidence: 'write group writes through Convex', metAt: write.since }
        : unmet(`write stage is ${write.stage}, not convex`);
    }
    case 'frozen-drained': {
      if (!facts.frozen) return unmet(`writes are not frozen: run tandem freeze ${table}`);
      const freeze = fromEvidence(facts.evidence.get('freeze'), 'freeze', `tandem freeze ${table}`);
      if (!freeze.met) return freeze;
      if (facts.pending > 0)
        return unmet(`frozen, but ${facts.pending} change(s) are still pending in the outbox`);
      return freeze;
    }
    case 'archive-verified': {
      const archive = facts.evidence.get('archive');
      // An archive from before the current freeze may miss writes made since.
      if (archive && facts.frozen && archive.recordedAt < facts.frozen.frozenAt)
        return unmet(
          `the last archive (${archive.recordedAt.toISOString()}) is older than the freeze: run tandem archive ${table}`,
        );
      return fromEvidence(archive, 'verified archive', `tandem archive ${table}`);
    }
    case 'guard-clean': {
      if (!sources.guardReferences) return unmet('no sources to scan: pass --src <dir…>');
      const refs = await sources.guardReferences(table);
      return refs.length === 0
        ? { met: true, evidence: 'no SQL reference to the table in the sources', metAt: null }
        : unmet(`${refs.length} SQL reference(s) left, first at ${refs[0]}`);
    }
  }
}

/** Every gate, in the order the steps list them. */
export const GATE_ORDER: readonly GateId[] = STEPS.flatMap((s) => s.gates);

/**
 * The checklist of each table (mirrored tables of `mirror`, in the order given).
 * With `only`, just those gates are computed and listed: a move needs only its
 * step's, and some gates are costly (the guard scans the sources, CPU-bound).
 */
export async function checklist(
  db: Queryable, tool: ToolSchema,
  mirror: MirrorConfig,
  tables: readonly string[],
  options: ChecklistOptions = {},
  only?: readonly GateId[],
): Promise<TableChecklist[]> {
  const resolved = {
    now: options.now ?? new Date(),
    parityDays: options.parityDays ?? 7,
    readDays: options.readDays ?? 7,
    sources: { readStage: readStageSource(db, tool), ...options.sources },
  };
  const phases = await readPhases(db, tool, tables);
  const capture = new Map((await captureStatus(db, tool, mirror)).map((c) => [c.table, c]));
  const backfill = new Map((await backfillStatus(db, tool, tables)).map((b) => [b.table, b]));
  const frozen = await frozenTables(db, tool, tables);
  const pending = await pendingByTable(db, tool, tables);
  const out: TableChecklist[] = [];
  for (const table of tables) {
    const facts: TableFacts = {
      capture: capture.get(table),
      backfill: backfill.get(table),
      evidence: await latestEvidence(db, tool, table, resolved.now),
      frozen: frozen.has(table) ? { frozenAt: frozen.get(table)! } : null,
      pending: pending.get(table) ?? 0,
    };
    const gates: GateResult[] = [];
    for (const gate of GATE_ORDER) {
      if (only && !only.includes(gate)) continue;
      gates.push({
        gate,
        description: GATES[gate],
        ...(await checkGate(db, tool, gate, table, facts, resolved)),
      });
    }
    const current = phases.get(table)!;
    const step = nextStep(current.phase);
    out.push({
      table,
      phase: current.phase,
      enteredAt: current.enteredAt,
      forced: current.forced,
      next: step?.to ?? null,
      unmet: step ? step.gates.filter((g) => gates.find((r) => r.gate === g)?.met !== true) : [],
      gates,
    });
  }
  return out;
}

/**
 * The checklist entries of decommissioned tables that are not in `mirror`: a
 * table moved into the retired schema (or renamed, or dropped) is no longer
 * found by discovery, yet the plan's summary still lists it, at its end, with
 * no gate left to compute.
 */
export async function retiredChecklists(
  db: Queryable, tool: ToolSchema,
  mirror: MirrorConfig,
): Promise<TableChecklist[]> {
  const mirrored = new Set(mirror.tables.map((t) => t.name));
  return (await decommissionedTables(db, tool))
    .filter((row) => !mirrored.has(row.table))
    .map((row) => ({ ...row, next: null, unmet: [], gates: [] }));
}
