/**
 * Garbage-collection pauses of this process over a stretch of a benchmark,
 * from Node's `gc` performance entries (main-thread pause time, by kind), so
 * a rate that falls with heap size can be told apart from GC or from the
 * work itself.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface GcPauses {
  /** Milliseconds paused in scavenges (young generation). */
  minorMs: number;
  /** Milliseconds paused in full mark-compacts (whole heap). */
  majorMs: number;
  /** Milliseconds paused in incremental marking steps and weak callbacks. */
  otherMs: number;
  majorCount: number;
}

/** Starts counting; the returned function stops and reports (awaited: entries arrive asynchronously). */
export function countGcPauses(): () => Promise<GcPauses> {
  const pauses: GcPauses = { minorMs: 0, majorMs: 0, otherMs: 0, majorCount: 0 };
  const add = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.minorMs += entry.duration;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        pauses.majorMs += entry.duration;
        pauses.majorCount++;
      } else pauses.otherMs += entry.duration;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return async () => {
    // Entries are queued, then delivered on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    add(observer.takeRecords());
    observer.disconnect();
    return pauses;
  };
}

/**
 * The `gc` function whether or not node was started with --expose-gc (npm's
 * bench scripts start it through tsx without the flag): a benchmark that must
 * charge a collection to the right stretch cannot silently skip it.
 */
export function exposedGc(): (options?: { type?: 'major' | 'minor' }) => void {
  const given = (globalThis as { gc?: (options?: { type?: 'major' | 'minor' }) => void }).gc;
  if (given) return given;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as (options?: { type?: 'major' | 'minor' }) => void;
}
