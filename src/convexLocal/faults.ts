/**
 * Fault injection for the local stand-in, to test the relay against the ways a
 * real deployment fails: an error answer, a slow answer, a request that was
 * applied but whose answer never came (timeout), and a dropped connection;
 * and, for the read cutover's rollback rules, failed queries.
 */
export interface FaultOptions {
  /** Share of mutation requests answered with HTTP 500 without running. */
  failRate: number;
  /** Added to every response. */
  latencyMs: number;
  /** Share of mutation requests that run (and are kept) but are never answered. */
  timeoutRate: number;
  /** Share of mutation requests whose connection is closed without an answer (half before running, half after). */
  dropConnectionRate: number;
  /** Share of query requests answered with HTTP 500 without running (Convex reads failing). */
  queryFailRate: number;
}

export const NO_FAULTS: FaultOptions = { failRate: 0, latencyMs: 0, timeoutRate: 0, dropConnectionRate: 0, queryFailRate: 0 };

export type Fault = 'none' | 'fail' | 'timeout' | 'drop-before' | 'drop-after';

/** Draws the fault for one query request: only failure applies (a query changes nothing to time out or drop after). */
export function drawQueryFault(options: FaultOptions, random: () => number = Math.random): Fault {
  return random() < options.queryFailRate ? 'fail' : 'none';
}

/** Draws the fault for one mutation request. */
export function drawFault(options: FaultOptions, random: () => number = Math.random): Fault {
  const r = random();
  let edge = options.failRate;
  if (r < edge) return 'fail';
  edge += options.timeoutRate;
  if (r < edge) return 'timeout';
  edge += options.dropConnectionRate;
  if (r < edge) return random() < 0.5 ? 'drop-before' : 'drop-after';
  return 'none';
}

export function validateFaults(options: FaultOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  }
  if (options.queryFailRate > 1) throw new RangeError('queryFailRate must be at most 1');
  const total = options.failRate + options.timeoutRate + options.dropConnectionRate;
  if (total > 1) throw new RangeError('fail, timeout and drop-connection rates add up to more than 1');
}
