/**
 * GET /api/control/overview on two applications: every per-table figure from
 * an outbox, dead letters, parity history and flags laid out by hand, so each
 * expected number is known before the endpoint computes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordRuns } from '../../src/parity/history.js';
import { checklist } from '../../src/phases/gates.js';
import { availableBackends } from '../support/db.js';
import { APPS, startControlRoom, type ControlRoomHarness } from './harness.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const NOW = new Date('2026-03-02T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** One outbox row with the given state (times relative to NOW). */
async function outboxRow(
  h: ControlRoomHarness,
  row: {
    table: string;
    status: 'pending' | 'done' | 'dead';
    capturedAgoMs: number;
    latencyMs?: number;
    attempts?: number;
    lastError?: string | null;
    tracked?: boolean;
  },
): Promise<void> {
  const captured = ago(row.capturedAgoMs);
  const processed =
    row.latencyMs === undefined ? null : new Date(captured.getTime() + row.latencyMs);
  await h.db.pool.query(
    `INSERT INTO tandem.outbox (txid, table_name, key, op, "row", operation_key, captured_at, status, attempts,
                                last_error, processed_at)
     VALUES (pg_current_xact_id(), $1, '["k"]', 'insert', '{}'::jsonb, $2, $3, $4, $5, $6, $7)`,
    [
      row.table,
      row.tracked === false ? null : 'op-1',
      captured,
      row.status,
      row.attempts ?? 0,
      row.lastError ?? null,
      processed,
    ],
  );
}

describe.each(backends)('control room overview [%s]', (backend) => {
  describe.each(APPS)('%s', (appName) => {
    let h: ControlRoomHarness;
    let busy: string;
    let quiet: string;

    beforeAll(async () => {
      h = await startControlRoom(backend, appName);
      h.clock.now = NOW;
      [busy, quiet] = [h.mirror.tables.at(-1)!.name, h.mirror.tables[0]!.name];
      // The seed's captured rows leave; the outbox holds exactly what follows.
      await h.db.pool.query('DELETE FROM tandem.outbox');
      for (const [i, latencyMs] of [100, 200, 300, 400].entries())
        await outboxRow(h, {
          table: busy,
          status: 'done',
          capturedAgoMs: 60_000,
          latencyMs,
          attempts: i === 0 ? 1 : 0,
        });
      await outboxRow(h, {
        table: busy,
        status: 'dead',
        capturedAgoMs: 120_000,
        latencyMs: 1_000,
        attempts: 3,
      });
      // Finished before the 5-minute window: counted nowhere.
      await outboxRow(h, {
        table: busy,
        status: 'done',
        capturedAgoMs: 600_000,
        latencyMs: 9_999,
        attempts: 5,
      });
      await outboxRow(h, {
        table: busy,
        status: 'pending',
        capturedAgoMs: 30_000,
        attempts: 2,
        lastError: 'boom',
      });
      await outboxRow(h, { table: busy, status: 'pending', capturedAgoMs: 10_000, tracked: false });
      await h.db.pool.query(
        `INSERT INTO tandem.dead_letter (seq, txid, table_name, key, op, reason, attempts, resolved_at)
         VALUES (1, pg_current_xact_id(), $1, '["a"]', 'insert', 'poison', 3, NULL),
                (2, pg_current_xact_id(), $1, '["b"]', 'insert', 'fixed', 3, now())`,
        [busy],
      );
      await recordRuns(h.db.pool, DEFAULT_TOOL_SCHEMA, [
        {
          kind: 'parity',
          table: busy,
          mode: 'full',
          startedAt: ago(3_600_000),
          finishedAt: ago(3_500_000),
          pgRows: 10,
          convexRows: 9,
          compared: 10,
          clean: false,
          drift: [
            { kind: 'missing', key: '["x"]' },
            { kind: 'different', key: '["y"]' },
            { kind: 'pending', key: '["z"]' },
          ],
        },
      ]);
    });
    afterAll(() => h?.close());

    it('gives each table its figures, exactly', async () => {
      const res = await h.call('anonymous', 'GET', '/api/control/overview');
      expect(res.status).toBe(200);
      expect(res.body.generatedAt).toBe(NOW.getTime());
      expect(res.body.tables.map((t: { table: string }) => t.table)).toEqual(
        h.mirror.tables.map((t) => t.name),
      );
      const row = res.body.tables.find((t: { table: string }) => t.table === busy);
      const busyTable = h.mirror.tables.find((t) => t.name === busy)!;
      const { rows } = await h.db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${busyTable.schema}"."${busy}"`,
      );
      const [list] = await checklist(h.db.pool, DEFAULT_TOOL_SCHEMA, h.mirror, [busy], { now: NOW });
      expect(row).toEqual({
        table: busy,
        phase: 'not-mirrored',
        nextGate: list!.unmet[0] ?? null,
        readStage: 'postgres',
        readPercent: 0,
        rows: { postgres: rows[0]!.n, convex: 9, postgresEstimated: false },
        // 4 applied; failed attempts: 1 (applied after a retry) + 3 (dead) + 2 (pending, last attempt failed).
        successRate: 0.4,
        applyLatencyMs: { p50: 250, p99: expect.closeTo(397, 6) },
        outboxPending: 2,
        oldestPendingSeconds: 30,
        retryQueue: 1,
        deadLetters: 1,
        drift: 2,
        parityStreakDays: 0,
        untrackedWrites: 1,
        alertsFiring: 0,
      });
    });

    it('shows a quiet table as nothing measured, not as zero', async () => {
      const res = await h.call('anonymous', 'GET', '/api/control/overview');
      const row = res.body.tables.find((t: { table: string }) => t.table === quiet);
      expect(row).toMatchObject({
        successRate: null,
        applyLatencyMs: null,
        outboxPending: 0,
        oldestPendingSeconds: null,
        retryQueue: 0,
        deadLetters: 0,
        drift: null,
        untrackedWrites: 0,
        rows: { convex: null },
      });
    });

    it('follows a stage change made through the API at once', async () => {
      const set = await h.call('admin', 'POST', `/api/control/flags/${quiet}`, {
        stage: 'shadow',
        reason: 'compare reads',
      });
      expect(set.status).toBe(200);
      const res = await h.call('anonymous', 'GET', '/api/control/overview');
      const row = res.body.tables.find((t: { table: string }) => t.table === quiet);
      expect([row.readStage, row.readPercent]).toEqual(['shadow', 0]);
    });
  });
});
