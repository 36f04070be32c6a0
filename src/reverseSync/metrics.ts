/**
 * Reverse-sync metrics, registered in the relay's registry (one /metrics).
 * Counters move as this process applies; pending and lag are read from
 * Convex (entries after the Postgres cursor) and dead letters from Postgres
 * when scraped, so every process reports the shared truth. With `active`,
 * Convex is asked only while it says so (some group writes to Convex):
 * otherwise nothing is pending and the gauges read 0. A failed read keeps the
 * figures of the last one (a scrape never fails because Convex is down).
 */
import type pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readCursor } from './applyPage.js';
import type { ChangeLogSource, PendingChanges } from './changeLog.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface ReverseSyncMetrics {
  applied: Counter;
  skipped: Counter;
  deadLetters: Counter;
  retries: Counter;
  stepFailures: Counter;
}

export function createReverseSyncMetrics(
  registry: Registry, tool: ToolSchema,
  pool: pg.Pool,
  source: ChangeLogSource,
  now: () => number = Date.now,
  options: {
    active?: () => boolean;
    /** The tables whose writer is Convex now: with it, the lag per table as well (one Convex query per table). */
    tables?: () => readonly string[];
  } = {},
): ReverseSyncMetrics {
  const nothing: PendingChanges = { pending: 0, capped: false, oldestLoggedAt: null };
  let last = nothing;
  let read: { at: number; value: Promise<PendingChanges> } | undefined;
  const pending = () => {
    if (options.active && !options.active()) return Promise.resolve((last = nothing));
    if (!read || now() - read.at > 1000) {
      read = {
        at: now(),
        value: readCursor(pool, tool)
          .then((cursor) => source.pendingChanges(cursor))
          .then(
            (p) => (last = p),
            () => last,
          ),
      };
    }
    return read.value;
  };
  new Gauge({
    name: 'tandem_reverse_sync_pending',
    help: 'Convex change-log entries not yet committed in Postgres (counted up to 8,000)',
    registers: [registry],
    async collect() {
      this.set((await pending()).pending);
    },
  });
  new Gauge({
    name: 'tandem_reverse_sync_lag_seconds',
    help: 'Age of the oldest Convex change not yet committed in Postgres (0 when caught up)',
    registers: [registry],
    async collect() {
      const oldest = (await pending()).oldestLoggedAt;
      this.set(oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });
  const { tables } = options;
  if (tables) {
    let lastByTable: ReadonlyMap<string, number> = new Map();
    new Gauge({
      name: 'tandem_reverse_sync_table_lag_seconds',
      help: 'Age of the oldest Convex change of the table not yet committed in Postgres, for tables written in Convex',
      labelNames: ['table'],
      registers: [registry],
      async collect() {
        lastByTable = await reverseSyncLagByTable(pool, tool, source, tables(), now).catch(() => lastByTable);
        this.reset();
        for (const [table, lag] of lastByTable) this.set({ table }, lag);
      },
    });
  }
  new Gauge({
    name: 'tandem_reverse_sync_dead_letters_unresolved',
    help: 'Reverse-sync dead letters neither retried nor discarded, by table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ table_name: string; n: number }>(
        `SELECT table_name, count(*)::int AS n FROM ${tool.sql}.reverse_sync_dead_letter
          WHERE resolved_at IS NULL GROUP BY table_name`,
      );
      this.reset();
      for (const r of rows) this.set({ table: r.table_name }, r.n);
    },
  });
  return {
    applied: new Counter({
      name: 'tandem_reverse_sync_applied_total',
      help: 'Convex changes applied to Postgres by this process',
      registers: [registry],
    }),
    skipped: new Counter({
      name: 'tandem_reverse_sync_skipped_total',
      help: 'Convex changes that changed nothing (replays, or older than what Postgres has)',
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'tandem_reverse_sync_dead_letters_total',
      help: 'Convex changes sent to reverse-sync dead letters by this process',
      registers: [registry],
    }),
    retries: new Counter({
      name: 'tandem_reverse_sync_retries_total',
      help: 'Convex changes scheduled for another attempt',
      registers: [registry],
    }),
    stepFailures: new Counter({
      name: 'tandem_reverse_sync_step_failures_total',
      help: 'Worker steps that failed as a whole (Convex or Postgres unreachable); no change spends budget',
      registers: [registry],
    }),
  };
}

/**
 * Seconds since the oldest change-log entry of each table that Postgres has
 * not committed yet was logged (0 for a table with none): the reverse-sync
 * lag the alert rules hold per table. One Convex query per table.
 */
export async function reverseSyncLagByTable(
  pool: pg.Pool,
  tool: ToolSchema,
  source: ChangeLogSource,
  tables: readonly string[],
  now: () => number = Date.now,
): Promise<Map<string, number>> {
  const lags = new Map<string, number>();
  if (tables.length === 0) return lags;
  const cursor = await readCursor(pool, tool);
  for (const table of tables) {
    const { oldestLoggedAt } = await source.pendingChanges(cursor, [table]);
    lags.set(table, oldestLoggedAt === null ? 0 : Math.max(0, (now() - oldestLoggedAt) / 1000));
  }
  return lags;
}
