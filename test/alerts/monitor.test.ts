/**
 * The alert monitor over a real tool schema, on a small shop schema (not the
 * story site): every signal read from Postgres (lag, dead letters, parity
 * drift, untracked writes, shadow drift, stall), transitions recorded once in
 * the shared state and history (a second process evaluating the same rules
 * notifies nobody again), currentAlerts/listAlertHistory, and the automatic
 * read rollback raising an alert through the same monitor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertMonitor } from '../../src/alerts/monitor.js';
import { currentAlerts, listAlertHistory } from '../../src/alerts/history.js';
import type { AlertNotification, AlertSink } from '../../src/alerts/sinks.js';
import { PostgresSnapshotSource } from '../../src/alerts/snapshot.js';
import { installCapture } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { AutoRollback } from '../../src/cutover/autoRollback.js';
import { setReadStage } from '../../src/cutover/flagStore.js';
import { ReadStats } from '../../src/cutover/readStats.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { silentLogger } from '../../src/log.js';
import { migrate } from '../../src/postgres/migrate.js';
import { registerOutboxGauges } from '../../src/relay/metrics.js';
import { serveMetrics } from '../../src/relay/metricsServer.js';
import { Registry } from 'prom-client';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const PROJECT = parseProjectConfig({ schema: 'shop' }, null);
const TABLES = ['item', 'order_line'];
const OFF = Object.fromEntries(
  ['mirrorFailureRate', 'lag', 'deadLetters', 'parityDrift', 'untrackedWrites', 'shadowDrift', 'stall', 'reverseSyncLag', 'reverseSyncDeadLetters'].map((c) => [c, { enabled: false }]),
);

class RecordingSink implements AlertSink {
  readonly name = 'recording';
  readonly sent: AlertNotification[] = [];
  send(n: AlertNotification): void {
    this.sent.push(n);
  }
  async close(): Promise<void> {}
}

describe.each(backends)('alert monitor on the tool schema [%s]', (backend) => {
  let db: TestDatabase;
  const sql = (text: string, values: unknown[] = []) => db.pool.query(text, values);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await sql(`CREATE SCHEMA shop;
      CREATE TABLE shop.item (sku text PRIMARY KEY, price numeric NOT NULL);
      CREATE TABLE shop.order_line (order_id int, line int, sku text REFERENCES shop.item, PRIMARY KEY (order_id, line));`);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: TABLES, mirror: (await discoverMirror(db.pool, PROJECT)).mirror });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('reads every signal per table from Postgres', async () => {
    // Raw SQL: captured, untracked (no mirror operation key), pending.
    await sql(`INSERT INTO shop.item VALUES ('a', 1), ('b', 2)`);
    await sql(`INSERT INTO shop.order_line VALUES (1, 1, 'a')`);
    await sql(`UPDATE tandem.outbox SET captured_at = now() - interval '10 minutes', last_error = 'boom' WHERE table_name = 'item' AND "row"->>'sku' = 'a'`);
    await sql(`UPDATE tandem.outbox SET status = 'done', processed_at = now() - interval '30 seconds' WHERE table_name = 'order_line'`);
    await sql(`INSERT INTO tandem.dead_letter (seq, txid, table_name, key, op, reason) VALUES (1, '1', 'order_line', '[1,1]', 'insert', 'x'), (2, '1', 'order_line', '[1,2]', 'insert', 'y')`);
    await sql(`INSERT INTO tandem.parity_run (batch_id, kind, table_name, mode, started_at, finished_at, drift_count, clean)
               VALUES ('b1', 'parity', 'item', 'full', now() - interval '2 hours', now() - interval '2 hours', 0, true),
                      ('b2', 'parity', 'item', 'full', now(), now(), 3, false)`);
    await sql(`INSERT INTO tandem.reverse_sync_dead_letter (seq, table_name, key, op, version, reason, attempts, resolved_at)
               VALUES (5, 'item', 'a', 'upsert', 5, 'bad', 8, NULL), (6, 'item', 'b', 'upsert', 6, 'bad', 8, now())`);
    let now = 1_000_000;
    // Reverse-sync lag lives in Convex: a port gives it; a failed reading keeps the last one.
    let lagReadings = 0;
    const reverseSyncLag = async () => {
      if (++lagReadings > 1) throw new Error('Convex unreachable');
      return new Map([['order_line', 42]]);
    };
    const source = new PostgresSnapshotSource(db.pool, { tool: DEFAULT_TOOL_SCHEMA, windowSeconds: 60, appliedLookbackSeconds: 600, now: () => now, reverseSyncLag });
    await sql(`INSERT INTO tandem.shadow_count (table_name, mode, class, count) VALUES ('item', 'ab', 'match', 10), ('item', 'ab', 'drift', 0), ('item', 'aa', 'drift', 50)`);
    await source.read(TABLES);
    await sql(`UPDATE tandem.shadow_count SET count = count + 15 WHERE table_name = 'item' AND mode = 'ab' AND class = 'match'`);
    await sql(`UPDATE tandem.shadow_count SET count = count + 5 WHERE table_name = 'item' AND mode = 'ab' AND class = 'drift'`);
    now += 10_000;
    const [item, line] = await source.read(TABLES);
    expect(item!.lagSeconds).toBeGreaterThanOrEqual(600);
    expect(item!.lagSeconds).toBeLessThan(700);
    expect({ ...item, lagSeconds: 0 }).toEqual({
      table: 'item',
      // 'a' was captured 10 minutes ago (outside the window); 'b' is inside it and has not failed.
      mirrorFailureRate: { value: 0, samples: 1 },
      lagSeconds: 0,
      secondsSinceApplied: null,
      deadLetters: 0,
      parityDrift: 3,
      untrackedWrites: 2,
      shadowDriftRate: { value: 0.25, samples: 20 },
      reverseSyncLagSeconds: 0,
      reverseSyncDeadLetters: 1,
    });
    expect(line!.secondsSinceApplied).toBeGreaterThanOrEqual(29);
    expect(line!.secondsSinceApplied).toBeLessThan(90);
    expect({ ...line, secondsSinceApplied: 0 }).toEqual({
      table: 'order_line',
      mirrorFailureRate: { value: 0, samples: 1 },
      lagSeconds: 0,
      secondsSinceApplied: 0,
      deadLetters: 2,
      parityDrift: 0,
      untrackedWrites: 1,
      shadowDriftRate: { value: 0, samples: 0 },
      reverseSyncLagSeconds: 42,
      reverseSyncDeadLetters: 0,
    });
    expect(lagReadings).toBe(2);
  });

  it('/metrics has per-table lag and the parity drift of the latest run; /healthz reports the process', async () => {
    const registry = new Registry();
    registerOutboxGauges(registry, DEFAULT_TOOL_SCHEMA, db.pool);
    const server = await serveMetrics(registry, 0, '127.0.0.1', () => ({ relay: { workers: 2 } }));
    try {
      const text = await (await fetch(server.url)).text();
      expect(text.split('\n').filter((l) => l.startsWith('tandem_parity_drift_keys'))).toEqual(['tandem_parity_drift_keys{table="item"} 3']);
      expect(text.split('\n').filter((l) => l.startsWith('tandem_table_outbox_pending'))).toEqual(['tandem_table_outbox_pending{table="item"} 2']);
      const lag = /^tandem_table_outbox_oldest_pending_seconds\{table="item"\} (\S+)$/m.exec(text);
      expect(Number(lag?.[1])).toBeGreaterThanOrEqual(600);
      const health = (await (await fetch(server.url.replace('/metrics', '/healthz'))).json()) as Record<string, unknown>;
      expect(health).toEqual({ ok: true, pid: process.pid, uptimeSeconds: expect.any(Number), relay: { workers: 2 } });
    } finally {
      await server.close();
    }
  });

  it('records each transition once, shared by every process, and lists current alerts and history', async () => {
    const policy = parseProjectConfig(
      {
        schema: 'shop',
        alerts: {
          default: { ...OFF, deadLetters: { enabled: true, threshold: 0, for: 0 }, lag: { enabled: true, threshold: 300, for: '1m' } },
        },
      },
      null,
    ).alerts;
    let now = Date.parse('2026-03-01T10:00:00Z');
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const monitor = (sink: AlertSink) =>
      new AlertMonitor({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, policy, tables: () => TABLES, sinks: [sink], log: silentLogger, now: () => now });
    const a = monitor(sinkA);
    const b = monitor(sinkB);

    const first = await a.tick();
    expect(first.recorded.map((t) => `${t.table}:${t.rule}:${t.to}`)).toEqual(['item:lag:pending', 'order_line:deadLetters:firing']);
    expect((await b.tick()).recorded).toEqual([]);
    now += 60_000;
    expect((await a.tick()).recorded.map((t) => `${t.table}:${t.rule}:${t.from}->${t.to}`)).toEqual(['item:lag:pending->firing']);
    expect((await b.tick()).recorded).toEqual([]);
    expect(sinkA.sent.map((n) => `${n.table}:${n.rule}:${n.state}`)).toEqual(['order_line:deadLetters:firing', 'item:lag:firing']);
    expect(sinkB.sent).toEqual([]);

    expect((await currentAlerts(db.pool, DEFAULT_TOOL_SCHEMA)).map((c) => [c.state, c.table, c.rule, c.severity, c.value, c.summary, c.firedAt?.toISOString()])).toEqual([
      ['firing', 'item', 'lag', 'warning', expect.any(Number), expect.stringMatching(/^item: mirror lag \(s\) \d+(\.\d+)? > 300$/), '2026-03-01T10:01:00.000Z'],
      ['firing', 'order_line', 'deadLetters', 'critical', 2, 'order_line: unresolved dead letters 2 > 0', '2026-03-01T10:00:00.000Z'],
    ]);

    // The dead letters are resolved: both processes see it, one records and notifies.
    await sql(`UPDATE tandem.dead_letter SET resolved_at = now(), resolution = 'discarded'`);
    now += 15_000;
    expect((await b.tick()).recorded.map((t) => `${t.table}:${t.rule}:${t.from}->${t.to}`)).toEqual(['order_line:deadLetters:firing->resolved']);
    expect((await a.tick()).recorded).toEqual([]);
    expect(sinkB.sent.map((n) => `${n.table}:${n.rule}:${n.state}`)).toEqual(['order_line:deadLetters:resolved']);

    // A restarted process takes up the firing alert instead of firing it again.
    const restarted = monitor(new RecordingSink());
    expect((await restarted.tick()).transitions).toEqual([]);

    const history = await listAlertHistory(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(history.map((e) => `${e.at.toISOString()} ${e.table}:${e.rule}:${e.from}->${e.to}`)).toEqual([
      '2026-03-01T10:01:15.000Z order_line:deadLetters:firing->resolved',
      '2026-03-01T10:01:00.000Z item:lag:pending->firing',
      '2026-03-01T10:00:00.000Z order_line:deadLetters:inactive->firing',
      '2026-03-01T10:00:00.000Z item:lag:inactive->pending',
    ]);
    expect((await listAlertHistory(db.pool, DEFAULT_TOOL_SCHEMA, { table: 'item', limit: 1 })).map((e) => e.to)).toEqual(['firing']);
    expect((await listAlertHistory(db.pool, DEFAULT_TOOL_SCHEMA, { beforeId: history[1]!.id })).length).toBe(2);
  });

  it('an automatic read rollback raises an alert through the monitor', async () => {
    const policy = parseProjectConfig({ schema: 'shop', alerts: { default: OFF } }, null).alerts;
    const sink = new RecordingSink();
    const alerts = new AlertMonitor({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, policy, tables: () => TABLES, sinks: [sink], log: silentLogger });
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { table: 'item', stage: 'convex', force: true, why: 'test', actor: 'test' });
    const rollback = new AutoRollback({ tool: DEFAULT_TOOL_SCHEMA,
      pool: db.pool,
      flags: { stageOf: () => ({ stage: 'convex', percent: 100, salt: 's' }), refresh: async () => undefined },
      stats: new ReadStats(60_000),
      tables: TABLES,
      alerts,
      policy: parseProjectConfig({ schema: 'shop', cutover: { rollback: { tables: { item: { parityDrift: { threshold: 0 } } } } } }, null).cutover
        .rollback,
    });
    const trips = await rollback.tick();
    expect(trips.map((t) => [t.table, t.rule, t.change?.to.stage])).toEqual([['item', 'parityDrift', 'postgres']]);
    expect(sink.sent.map((n) => [n.rule, n.table, n.state, n.severity, n.value, n.summary])).toEqual([
      ['readRollback', 'item', 'firing', 'critical', 3, 'item: reads rolled back from convex to postgres (parityDrift 3 > 0)'],
    ]);
    expect((await listAlertHistory(db.pool, DEFAULT_TOOL_SCHEMA, { table: 'item', limit: 1 })).map((e) => [e.rule, e.from, e.to, e.summary])).toEqual([
      ['readRollback', 'inactive', 'firing', 'item: reads rolled back from convex to postgres (parityDrift 3 > 0)'],
    ]);
  });
});
