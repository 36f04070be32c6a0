/** The control room's JSON shapes (docs/control-room-api.md) and the ports it reads alerts through. */
import type { ReadStage } from '../cutover/readStages.js';

export interface TableOverview {
  table: string;
  phase: string;
  /** The first unmet gate of the step into the next phase; null when none is unmet or at the end. */
  nextGate: string | null;
  readStage: ReadStage;
  /** Share of users reading from Convex: 0 (postgres, shadow), the ramp (convex-percent), 100 (convex); null for convex-internal. */
  readPercent: number | null;
  rows: {
    postgres: number | null;
    convex: number | null;
    /** rows.postgres is the planner's estimate (a big table), not an exact count. */
    postgresEstimated: boolean;
  };
  /** Over the last 5 minutes; null when nothing was attempted. */
  successRate: number | null;
  /** Capture → applied in Convex over the last 5 minutes; null when nothing was applied. */
  applyLatencyMs: { p50: number; p99: number } | null;
  outboxPending: number;
  oldestPendingSeconds: number | null;
  retryQueue: number;
  deadLetters: number;
  /** Drift keys of the latest parity run; null when parity never ran for the table. */
  drift: number | null;
  parityStreakDays: number;
  untrackedWrites: number;
  alertsFiring: number;
}

export interface Overview {
  /** Milliseconds since the epoch. */
  generatedAt: number;
  tables: TableOverview[];
}

export interface AlertHistoryEntry {
  /** Milliseconds since the epoch. */
  at: number;
  rule: string;
  table: string | null;
  state: string;
  detail: Record<string, unknown> | null;
}

/**
 * What the control room needs from the alert rules engine (built separately):
 * how many alerts fire per table now, and their history. Until an engine is
 * wired in, NO_ALERTS answers "none".
 */
export interface AlertSource {
  firingByTable(): Promise<ReadonlyMap<string, number>>;
  history(limit: number): Promise<AlertHistoryEntry[]>;
}

export const NO_ALERTS: AlertSource = {
  firingByTable: async () => new Map(),
  history: async () => [],
};
