/**
 * The shapes the page reads from /api/control (docs/control-room-api.md). Kept
 * here, browser-side, as plain types: the bundle must not pull in server code.
 */
export interface TableOverview {
  table: string;
  phase: string;
  nextGate: string | null;
  readStage: string;
  readPercent: number | null;
  rows: { postgres: number | null; convex: number | null };
  successRate: number | null;
  applyLatencyMs: { p50: number | null; p99: number | null } | null;
  outboxPending: number;
  oldestPendingSeconds: number | null;
  retryQueue: number;
  deadLetters: number;
  drift: number | null;
  parityStreakDays: number;
  untrackedWrites: number;
  alertsFiring: number;
}

export interface Overview {
  generatedAt: number;
  tables: TableOverview[];
}

export const METRICS = ['successRate', 'latencyP50', 'latencyP99', 'lag', 'retryQueue', 'drift', 'outboxPending'] as const;
export type Metric = (typeof METRICS)[number];
export const WINDOWS = ['15m', '1h', '6h', '24h', '7d'] as const;
export type SeriesWindow = (typeof WINDOWS)[number];

export interface SeriesResponse {
  metric: Metric;
  window: SeriesWindow;
  stepSeconds: number;
  series: Array<{ table: string; points: Array<[number, number | null]> }>;
}

export interface FlagRow {
  table: string;
  stage: string;
  percent: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface FlagsResponse {
  stages: string[];
  tables: FlagRow[];
}

export interface DeadLetterItem {
  id: number;
  table: string;
  key: string;
  reason: string;
  attempts: number;
  payload: unknown;
  createdAt: string;
}

export interface ParityRun {
  id: number;
  kind?: string;
  table: string;
  mode: string;
  startedAt?: string;
  finishedAt: string;
  pgRows?: number | null;
  convexRows?: number | null;
  compared?: number;
  driftCount: number;
  clean: boolean;
  note?: string | null;
}

export interface AlertEvent {
  at?: string;
  rule?: string;
  table?: string | null;
  state?: string;
  message?: string;
  [field: string]: unknown;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

export interface Gate {
  gate: string;
  description: string;
  met: boolean;
  evidence: string;
  metAt: string | null;
}

export interface Checklist {
  table: string;
  phase: string;
  enteredAt: string | null;
  forced: boolean;
  next: string | null;
  unmet: string[];
  gates: Gate[];
}
