/**
 * Prometheus metrics of the write cutover, on the registry the rest of Tandem
 * uses (so one `/metrics` serves them all).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoredWriteGroup } from './groupStore.js';
import { WRITE_STAGES } from './writeStages.js';

export interface WriteCutoverMetrics {
  registry: Registry;
  /** Writes routed, by write path, group and the store that was the writer (postgres, convex). */
  writes: Counter<'path' | 'group' | 'store'>;
  /**
   * Writes the writer refused with one of the tool's typed errors (bad input,
   * not found, conflict, forbidden…), by write path, group, store and the error's code.
   */
  refusals: Counter<'path' | 'group' | 'store' | 'code'>;
  /** Shadow comparisons (convex-shadow), by write path, group and outcome (match, differ, skipped). */
  shadow: Counter<'path' | 'group' | 'outcome'>;
  /** How long writes waited behind a paused group (a rollback draining), by group. */
  pauseWait: Histogram<'group'>;
  /** Transactions seen in the outbox that wrote tables of more than one write group, by the groups. */
  crossings: Counter<'groups'>;
}

export interface WriteCutoverMetricsOptions {
  /**
   * The saved write groups as this process sees them (WriteFlags.groups): with
   * it, `tandem_write_stage{group}` and `tandem_write_paused{group}` report
   * each group's stage and pause when scraped.
   */
  groups?: () => ReadonlyArray<Pick<StoredWriteGroup, 'name' | 'stage' | 'pausedAt'>>;
}

export function createWriteCutoverMetrics(
  registry: Registry = new Registry(),
  options: WriteCutoverMetricsOptions = {},
): WriteCutoverMetrics {
  const { groups } = options;
  if (groups) {
    new Gauge({
      name: 'tandem_write_stage',
      help: `Write stage per write group as a rank: ${WRITE_STAGES.map((s, i) => `${i} ${s}`).join(', ')}`,
      labelNames: ['group'],
      registers: [registry],
      collect() {
        this.reset();
        for (const g of groups()) this.set({ group: g.name }, WRITE_STAGES.indexOf(g.stage));
      },
    });
    new Gauge({
      name: 'tandem_write_paused',
      help: 'Whether a rollback holds the write group\'s writes now (1) or not (0)',
      labelNames: ['group'],
      registers: [registry],
      collect() {
        this.reset();
        for (const g of groups()) this.set({ group: g.name }, g.pausedAt === null ? 0 : 1);
      },
    });
  }
  return {
    registry,
    writes: new Counter({
      name: 'tandem_writes_total',
      help: 'Writes routed by Tandem, by write path, write group and the store that wrote (postgres, convex)',
      labelNames: ['path', 'group', 'store'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'tandem_write_refusals_total',
      help: 'Writes refused by their writer with a typed error, by write path, write group, store and error code',
      labelNames: ['path', 'group', 'store', 'code'],
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
