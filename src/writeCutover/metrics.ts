/**
 * Prometheus metrics of the write cutover, on the registry the rest of Tandem
 * uses (so one `/metrics` serves them all).
 */
import { Counter, Histogram, Registry } from 'prom-client';

export interface WriteCutoverMetrics {
  registry: Registry;
  /** Writes routed, by write path, group and the store that was the writer (postgres, convex). */
  writes: Counter<'path' | 'group' | 'store'>;
  /** Shadow comparisons (convex-shadow), by write path, group and outcome (match, differ, skipped). */
  shadow: Counter<'path' | 'group' | 'outcome'>;
  /** How long writes waited behind a paused group (a rollback draining), by group. */
  pauseWait: Histogram<'group'>;
  /** Transactions seen in the outbox that wrote tables of more than one write group, by the groups. */
  crossings: Counter<'groups'>;
}

export function createWriteCutoverMetrics(
  registry: Registry = new Registry(),
): WriteCutoverMetrics {
  return {
    registry,
    writes: new Counter({
      name: 'tandem_writes_total',
      help: 'Writes routed by Tandem, by write path, write group and the store that wrote (postgres, convex)',
      labelNames: ['path', 'group', 'store'],
      registers: [registry],
    }),
    shadow: new Counter({
      name: 'tandem_write_shadow_total',
      help: 'Shadow writes at convex-shadow, by write path, group and outcome (match, differ, skipped)',
      labelNames: ['path', 'group', 'outcome'],
      registers: [registry],
    }),
    pauseWait: new Histogram({
      name: 'tandem_write_pause_wait_seconds',
      help: 'Time writes waited while their write group was paused (a rollback draining reverse sync)',
      labelNames: ['group'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    crossings: new Counter({
      name: 'tandem_write_group_crossings_total',
      help: 'Transactions seen in the outbox that wrote tables of more than one write group, by the groups (a+b)',
      labelNames: ['groups'],
      registers: [registry],
    }),
  };
}
