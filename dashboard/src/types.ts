/**
 * The shapes the page reads from /api/control (docs/control-room-api.md). Times
 * are milliseconds since the epoch.
 */
// The overview and alert shapes are the server's own (types only: nothing of the server is bundled).
export type { TableOverview, Overview, AlertHistoryEntry } from '../../src/controlRoom/types.js';

export const METRICS = [
  'successRate',
  'latencyP50',
  'latencyP99',
  'lag',
  'retryQueue',
  'drift',
  'outboxPending',
] as const;
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
  /** Milliseconds since the epoch. */
  updatedAt: number | null;
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
  op: string;
  reason: string;
  rule: string | null;
  column: string | null;
  attempts: number;
  /** The captured row image; null for a delete. */
  payload: unknown;
  createdAt: number;
}

export interface ParityRun {
  id: number;
  table: string;
  mode: string;
  startedAt: number;
  finishedAt: number;
  pgRows: number | null;
  convexRows: number | null;
  compared: number;
  driftCount: number;
  pendingCount: number;
  clean: boolean;
  note: string | null;
}

export interface AuditEntry {
  at: number;
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
  metAt: number | string | null;
}

export interface Checklist {
  table: string;
  phase: string;
  enteredAt: number | string | null;
  forced: boolean;
  next: string | null;
  unmet: string[];
  gates: Gate[];
}
