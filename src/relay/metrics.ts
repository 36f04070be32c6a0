/**
 * Prometheus metrics of the mirror. Counters and the latency histogram are
 * updated as events flow; outbox depth, lag, dead letters and untracked writes
 * are read from Postgres when scraped, so every process reports the shared
 * truth rather than only its own share of the work.
 */
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { untrackedWrites } from '../capture/index.js';
import { refusedFrozenWrites } from '../capture/status.js';
import { outboxLag, type OutboxLag } from '../outbox/outboxStore.js';
import { latestParityDrift } from '../parity/history.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface RelayMetrics {
  registry: Registry;
  events: Counter<'table' | 'outcome'>;
  applyCalls: Counter<'outcome'>;
  applyLatency: Histogram;
  retries: Counter;
  deadLetters: Counter;
  splitTransactions: Counter;
  tablePauses: Counter<'table'>;
  targetUnavailable: Counter<'kind'>;
  mirrorWrites: Counter<'operation' | 'outcome'>;
}

export function createRelayMetrics(registry: Registry = new Registry()): RelayMetrics {
  return {
    registry,
    events: new Counter({
      name: 'tandem_mirror_events_total',
      help: 'Captured row changes handled by the relay or the mirror fast path, by table and outcome (applied, failed, dead)',
      labelNames: ['table', 'outcome'],
      registers: [registry],
    }),
    applyCalls: new Counter({
      name: 'tandem_apply_calls_total',
      help: 'Convex apply mutations called, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    applyLatency: new Histogram({
      name: 'tandem_apply_latency_seconds',
      help: 'Latency of successful Convex apply mutations',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    retries: new Counter({ name: 'tandem_retries_total', help: 'Events scheduled for another attempt', registers: [registry] }),
    deadLetters: new Counter({
      name: 'tandem_dead_letters_total',
      help: 'Events sent to the dead-letter table by this process',
      registers: [registry],
    }),
    splitTransactions: new Counter({
      name: 'tandem_split_transactions_total',
      help: 'Postgres transactions too large for one Convex mutation, applied in parts',
      registers: [registry],
    }),
    targetUnavailable: new Counter({
      name: 'tandem_target_unavailable_total',
      help: 'Apply calls that failed because Convex was unavailable (kind=unavailable) or refused the key (kind=auth); they spend no retry attempts',
      labelNames: ['kind'],
      registers: [registry],
    }),
    tablePauses: new Counter({
      name: 'tandem_table_pauses_total',
      help: 'Tables paused by this process because their shape changed under capture',
      labelNames: ['table'],
      registers: [registry],
    }),
    mirrorWrites: new Counter({
      name: 'tandem_mirror_writes_total',
      help: 'Application writes run through the mirror helper, by operation and outcome (mirrored, pending, failed)',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
  };
}

/** Gauges read from the tool's schema at scrape time. */
export function registerOutboxGauges(registry: Registry, tool: ToolSchema, pool: pg.Pool): void {
  // Both gauges come from one outbox query; a scrape collects them concurrently,
  // so they share a read that is at most a second old.
  let lag: { at: number; read: Promise<OutboxLag> } | undefined;
  const readLag = () => {
    if (!lag || Date.now() - lag.at > 1000) lag = { at: Date.now(), read: outboxLag(pool, tool) };
    return lag.read;
  };
  new Gauge({
    name: 'tandem_outbox_pending',
    help: 'Captured changes not yet applied to Convex',
    registers: [registry],
    async collect() {
      this.set((await readLag()).pending);
    },
  });
  new Gauge({
    name: 'tandem_outbox_oldest_pending_seconds',
    help: 'Age of the oldest change not yet applied (mirror lag)',
    registers: [registry],
    async collect() {
      this.set((await readLag()).oldestPendingSeconds);
    },
  });
  new Gauge({
    name: 'tandem_dead_letters_unresolved',
    help: 'Dead letters neither retried nor discarded, by table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ table_name: string; n: number }>(
        `SELECT table_name, count(*)::int AS n FROM ${tool.sql}.dead_letter WHERE resolved_at IS NULL GROUP BY table_name`,
      );
      this.reset();
      for (const r of rows) this.set({ table: r.table_name }, r.n);
    },
  });
  // Per-table lag, for alert rules held per table (the two gauges above are the whole outbox).
  let byTable: { at: number; read: Promise<Array<{ table_name: string; pending: number; oldest: number }>> } | undefined;
  const readByTable = () => {
    if (!byTable || Date.now() - byTable.at > 1000)
      byTable = {
        at: Date.now(),
        read: pool
          .query<{ table_name: string; pending: number; oldest: number }>(
            `SELECT table_name, count(*)::int AS pending, extract(epoch FROM now() - min(captured_at))::float8 AS oldest
               FROM ${tool.sql}.outbox WHERE status = 'pending' GROUP BY table_name`,
          )
          .then((r) => r.rows),
      };
    return byTable.read;
  };
  new Gauge({
    name: 'tandem_table_outbox_pending',
    help: 'Captured changes not yet applied to Convex, by table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const rows = await readByTable();
      this.reset();
      for (const r of rows) this.set({ table: r.table_name }, r.pending);
    },
  });
  new Gauge({
    name: 'tandem_table_outbox_oldest_pending_seconds',
    help: 'Age of the oldest change not yet applied, by table (mirror lag per table)',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const rows = await readByTable();
      this.reset();
      for (const r of rows) this.set({ table: r.table_name }, Math.max(0, r.oldest));
    },
  });
  new Gauge({
    name: 'tandem_parity_drift_keys',
    help: "Keys that differ between Postgres and Convex in each table's latest parity run",
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const drift = await latestParityDrift(pool, tool);
      this.reset();
      for (const [table, n] of drift) this.set({ table }, n);
    },
  });
  new Gauge({
    name: 'tandem_untracked_writes',
    help: 'Writes captured without a mirror operation key (paths not yet instrumented), by table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const rows = await untrackedWrites(pool, tool);
      this.reset();
      for (const r of rows) this.set({ table: r.table }, r.count);
    },
  });
  new Gauge({
    name: 'tandem_frozen_writes_refused',
    help: 'Writes refused since the table was frozen (write paths that still write Postgres), by table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const refused = await refusedFrozenWrites(pool, tool);
      this.reset();
      for (const [table, n] of refused) if (n > 0) this.set({ table }, n);
    },
  });
}
