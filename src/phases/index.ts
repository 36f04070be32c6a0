/** Phases and gates: where each table stands on its way to decommissioning (docs/phases.md). */
export {
  PHASES,
  GATES,
  STEPS,
  LAST_REVERSIBLE,
  isPhase,
  nextStep,
  classifyMove,
  type Phase,
  type GateId,
  type Step,
  type Move,
} from './phases.js';
export {
  checklist,
  retiredChecklists,
  GATE_ORDER,
  type ChecklistOptions,
  type GateResult,
  type PhaseSources,
  type ReadStageFacts,
  type TableChecklist,
} from './gates.js';
export {
  advancePhase,
  advanceWhileMet,
  GateNotMetError,
  type AdvanceOptions,
  type AdvanceResult,
} from './advance.js';
export {
  readPhases,
  recordEvidence,
  latestEvidence,
  type Evidence,
  type EvidenceKind,
  type TablePhaseRow,
} from './store.js';
export {
  idempotencyDrill,
  type IdempotencyDrillOptions,
  type IdempotencyDrillResult,
} from './idempotencyDrill.js';
export {
  freezeTable,
  unfreezeTable,
  isFrozen,
  FROZEN_SQLSTATE,
  type FreezeOptions,
  type FreezeResult,
  type UnfreezeResult,
} from './freeze.js';
export { archiveTable, type ArchiveOptions, type ArchiveResult } from './archive.js';
export { ARCHIVE_FORMAT, type ArchiveManifest, type ArchivedColumn } from './archiveFormat.js';
export { restoreArchive, type RestoreOptions, type RestoreResult } from './restore.js';
export {
  decommissionTable,
  DEFAULT_RETIRED_SCHEMA,
  retiredSchemaOf,
  type DecommissionOptions,
  type DecommissionResult,
} from './decommission.js';
export {
  rollbackDrill,
  ROLLBACK_DRILL_RULE,
  type InstanceFollow,
  type RollbackDrillOptions,
  type RollbackDrillResult,
} from './rollbackDrill.js';
