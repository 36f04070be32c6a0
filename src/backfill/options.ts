/** Options of a backfill run, their defaults, and the limits they are checked against. */
import { InvalidInputError } from '../core/errors.js';
import type { Logger } from '../log.js';
import type { MirrorConfig } from '../mapping/index.js';
import { DEFAULT_PACKING } from '../relay/packing.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../relay/retryPolicy.js';
import { DEFAULT_LATENCY_BACKOFF, type LatencyBackoffOptions } from './throttle.js';

/**
 * Rows per Convex call at most. An upsert writes up to three documents (the
 * row, its companion content document, a removed tombstone), and Convex allows
 * 16,000 written per mutation; the index-range estimate limits it further.
 */
export const MAX_BATCH_ROWS = 4_000;
/** Bytes per call at most: half of Convex's 16 MiB per mutation, for the estimate's slack. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** `done`: rows handled so far in the table (copied, or rejected as unrepresentable), over all runs since a restart. */
export type BackfillProgress =
  | { kind: 'table-start'; table: string; done: number; total: number; resumed: boolean }
  | {
      kind: 'batch';
      table: string;
      done: number;
      total: number;
      rows: number;
      firstKey: string;
      lastKey: string;
    }
  | { kind: 'table-done'; table: string; done: number; total: number }
  /** Convex is unavailable (or refused the key): the run waits `waitMs`, then tries again. */
  | { kind: 'waiting'; table: string; reason: string; outageMs: number; waitMs: number }
  | { kind: 'table-skipped'; table: string; reason: 'already done' | 'copied by another process' }
  /** Another process is copying the table: this run copies the others first, then waits for it. */
  | { kind: 'table-busy'; table: string; reason: string };

export interface BackfillOptions {
  /** Tables to copy (default: every mirrored table); always copied in plan order. */
  tables?: readonly string[];
  /** Rows per second at most (default: no limit). */
  rate?: number;
  /** Rows per page read and per Convex call at most. */
  batchRows?: number;
  /** Approximate bytes of mapped data per Convex call at most. */
  batchBytes?: number;
  /** Convex calls awaiting an answer at once (default 2); checkpoints still advance in key order. */
  callsInFlight?: number;
  /** Forget the checkpoints of the selected tables and copy them again from the first key. */
  restart?: boolean;
  onProgress?: (event: BackfillProgress) => void;
  /** Aborting stops after the call in flight is acknowledged and checkpointed. */
  signal?: AbortSignal;
  /** The mirrored tables (discovery). */
  config: MirrorConfig;
  log?: Logger;
  latencyBackoff?: LatencyBackoffOptions;
  /**
   * Backoff between tries of a call Convex did not answer (TargetUnavailableError,
   * including a refused key); its budget is not used: such a call is tried
   * until it is acknowledged, `outageLimitMs` passes, or the run is aborted.
   */
  retry?: RetryPolicy;
  /** Give up (throw) once Convex has been unavailable this long for one call. Default: never (until aborted). */
  outageLimitMs?: number;
  /** The clock the outage limit is measured on (ms). Default `Date.now`; tests pass their own. */
  now?: () => number;
}

export interface ResolvedOptions {
  rate: number | null;
  batchRows: number;
  batchBytes: number;
  callsInFlight: number;
  restart: boolean;
  config: MirrorConfig;
  latencyBackoff: LatencyBackoffOptions;
  retry: RetryPolicy;
  outageLimitMs: number;
  now: () => number;
}

export const DEFAULT_BATCH_ROWS = DEFAULT_PACKING.maxChanges;
export const DEFAULT_BATCH_BYTES = DEFAULT_PACKING.maxBytes;
export const DEFAULT_CALLS_IN_FLIGHT = 2;
export const MAX_CALLS_IN_FLIGHT = 16;

function checkWhole(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidInputError(
      field,
      `must be a whole number from ${min} to ${max}, got ${value}`,
    );
  return value;
}

export function resolveOptions(options: BackfillOptions): ResolvedOptions {
  const rate = options.rate ?? null;
  if (rate !== null && !(Number.isFinite(rate) && rate > 0))
    throw new InvalidInputError(
      'rate',
      `must be a positive number of rows per second, got ${rate}`,
    );
  return {
    rate,
    batchRows: checkWhole('batch-rows', options.batchRows ?? DEFAULT_BATCH_ROWS, 1, MAX_BATCH_ROWS),
    batchBytes: checkWhole(
      'batch-bytes',
      options.batchBytes ?? DEFAULT_BATCH_BYTES,
      64 * 1024,
      MAX_BATCH_BYTES,
    ),
    callsInFlight: checkWhole(
      'calls-in-flight',
      options.callsInFlight ?? DEFAULT_CALLS_IN_FLIGHT,
      1,
      MAX_CALLS_IN_FLIGHT,
    ),
    restart: options.restart ?? false,
    config: options.config,
    latencyBackoff: options.latencyBackoff ?? DEFAULT_LATENCY_BACKOFF,
    retry: options.retry ?? { ...DEFAULT_RETRY_POLICY, maxDelayMs: 10_000 },
    outageLimitMs: options.outageLimitMs ?? Infinity,
    now: options.now ?? Date.now,
  };
}
