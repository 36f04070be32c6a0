/**
 * One table's trouble never stalls the others' mirroring (issue 12, health).
 * Real PostgreSQL and the embedded Convex target running the kit codegen wrote
 * for a second application (a ledger, not the story site): while one `entry`
 * change is poison (Convex rejects every call that holds it, so it is retried
 * with backoff and then dead-lettered) and `fx_rate` is paused by a schema
 * change under capture, a running relay keeps mirroring every other change of
 * `account` and of `entry` itself; the alert rules then name the dead letter
 * and the stalled table, and nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertMonitor } from '../../src/alerts/monitor.js';
import type { AlertNotification, AlertSink } from '../../src/alerts/sinks.js';
import { installCapture, pausedTables } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { renderConvexFiles, writeConvexFiles } from '../../src/convex/codegen/convexFiles.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { ApplyResult, TransactionBatch } from '../../src/core/changes.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { silentLogger } from '../../src/log.js';
import { requireTable, type MirrorConfig } from '../../src/mapping/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { makeAppConvexDir } from '../convex/anyAppFixture.js';
import { createTestDatabase, isPostgresReachable, type TestDatabase } from '../support/db.js';
import { parityRows } from '../support/readPaths.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const DDL = `
CREATE SCHEMA ledger;
CREATE TYPE ledger.entry_kind AS ENUM ('debit', 'credit');
CREATE TABLE ledger.account (code text PRIMARY KEY, holder text NOT NULL, balance numeric NOT NULL);
CREATE TABLE ledger.entry (
  account_code text NOT NULL REFERENCES ledger.account (code), line int NOT NULL,
  amount numeric NOT NULL, kind ledger.entry_kind NOT NULL, memo text,
  PRIMARY KEY (account_code, line)
);
CREATE TABLE ledger.fx_rate (currency text PRIMARY KEY, rate numeric NOT NULL);
`;
const PROJECT = parseProjectConfig({ schema: 'ledger' }, null);
const TABLES = ['account', 'entry', 'fx_rate'];

/** The embedded target, except that Convex rejects any call holding the poison change (as a function error would). */
class PoisonTarget {
  rejected = 0;
  constructor(readonly inner: EmbeddedConvexTarget) {}
  async applyBatch(batches: TransactionBatch[]): Promise<ApplyResult> {
    if (batches.some((b) => b.changes.some((c) => c.op !== 'delete' && (c as { doc: { memo?: unknown } }).doc.memo === 'POISON'))) {
      this.rejected += 1;
      throw new Error('Uncaught Error: poison document rejected by a validator');
    }
    return this.inner.applyBatch(batches);
  }
}

class RecordingSink implements AlertSink {
  readonly name = 'recording';
  readonly sent: AlertNotification[] = [];
  send(n: AlertNotification): void {
    this.sent.push(n);
  }
  async close(): Promise<void> {}
}

const reachable = await isPostgresReachable();

describe.runIf(reachable)('a poison change and a paused table never stall the other tables [postgres]', () => {
  let db: TestDatabase;
  let convexDir: string;
  let target: PoisonTarget;
  let relay: Relay;
  let mirror: MirrorConfig;
  const sql = (text: string, values: unknown[] = []) => db.pool.query(text, values);
  const discover = async () => (await discoverMirror(db.pool, PROJECT)).mirror;

  /** Convex's rows of a table, keyed, under their Postgres column names. */
  async function convexRows(table: string): Promise<Record<string, Record<string, unknown>>> {
    const rows: Record<string, Record<string, unknown>> = {};
    let cursor: string | null = null;
    for (;;) {
      const page = await target.inner.exportPage(table, cursor, 500);
      for (const r of page.page) rows[r.key] = r.columns;
      if (page.isDone) return rows;
      cursor = page.continueCursor;
    }
  }
  async function postgresRows(table: string, skip: (columns: Record<string, unknown>) => boolean = () => false) {
    const rows: Record<string, Record<string, unknown>> = {};
    for (const [key, r] of await parityRows(db.pool, requireTable(mirror, table))) if (!skip(r.columns)) rows[key] = r.columns;
    return rows;
  }
  async function pendingOf(table: string): Promise<number> {
    const { rows } = await sql(`SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending' AND table_name = $1`, [table]);
    return (rows[0] as { n: number }).n;
  }

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await sql(DDL);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    mirror = await discover();
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: TABLES, mirror });
    convexDir = makeAppConvexDir();
    writeConvexFiles(await renderConvexFiles(convexDir, mirror));
    target = new PoisonTarget(new EmbeddedConvexTarget({ convexDir }));
    relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, target, schema: { mirror, discover }, metrics: createRelayMetrics(), log: silentLogger },
      { idleMs: 10, leaseMs: 5_000, retry: { budget: 5, baseDelayMs: 50, maxDelayMs: 400 }, breaker: { failureThreshold: 8, cooldownMs: 50 } },
    );
    await sql(`INSERT INTO ledger.account VALUES ('A1', 'Ada', 10), ('A2', 'Bo', 20)`);
    await sql(`INSERT INTO ledger.fx_rate VALUES ('EUR', 1.1)`);
    expect(await relay.drain()).toEqual({ applied: 3, retried: 0, dead: 0 });
  }, 120_000);
  afterAll(async () => {
    await relay?.stop();
    await target?.inner.close?.();
    if (convexDir) fs.rmSync(path.dirname(convexDir), { recursive: true, force: true });
    await db?.close();
  });

  it('keeps mirroring account and the healthy entry changes while the poison retries and fx_rate is paused', async () => {
    // The poison change, and fx_rate's shape changed under capture, then written.
    await sql(`INSERT INTO ledger.entry VALUES ('A1', 1, 5, 'debit', 'POISON')`);
    await sql(`ALTER TABLE ledger.fx_rate ADD COLUMN source text`);
    await sql(`INSERT INTO ledger.fx_rate VALUES ('USD', 1.0, 'ecb')`);
    // Then ordinary traffic on the other tables, one transaction at a time:
    // the first half waits in the outbox with the poison (so the relay's first
    // claim packs them together), the rest arrives while the relay runs.
    const traffic = async (from: number, to: number) => {
      for (let i = from; i <= to; i += 1) {
        await sql(`INSERT INTO ledger.account VALUES ($1, $2, $3)`, [`A${i}`, `Holder ${i}`, i]);
        await sql(`INSERT INTO ledger.entry VALUES ($1, 1, $2, 'credit', 'ok')`, [`A${i}`, i]);
        if (i % 5 === 0) await sql(`UPDATE ledger.account SET balance = balance + 1 WHERE code = 'A2'`);
      }
    };
    await traffic(3, 15);
    relay.start();
    await traffic(16, 30);

    // Every healthy change arrives while the poison is still being retried.
    let accountsMatch = false;
    let entriesMatch = false;
    const deadline = Date.now() + 30_000;
    while (!(accountsMatch && entriesMatch) && Date.now() < deadline) {
      accountsMatch = isDeepStrictEqual(await convexRows('account'), await postgresRows('account'));
      entriesMatch = isDeepStrictEqual(await convexRows('entry'), await postgresRows('entry', (c) => c.memo === 'POISON'));
      if (!(accountsMatch && entriesMatch)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(await convexRows('account')).toEqual(await postgresRows('account'));
    expect(await convexRows('entry')).toEqual(await postgresRows('entry', (c) => c.memo === 'POISON'));
    expect(Object.keys(await convexRows('entry'))).toHaveLength(28);
    expect(target.rejected).toBeGreaterThanOrEqual(1);

    // fx_rate waits: paused, its change held in the outbox, Convex untouched.
    expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).map((p) => p.table)).toEqual(['fx_rate']);
    expect(await pendingOf('fx_rate')).toBe(1);
    expect(Object.keys(await convexRows('fx_rate'))).toEqual(['EUR']);

    // The poison ends in dead letters with its reason, after its retry budget.
    let dead: Array<{ table_name: string; reason: string; attempts: number }> = [];
    const poll = Date.now() + 20_000;
    while (dead.length === 0 && Date.now() < poll) {
      dead = (await sql(`SELECT table_name, reason, attempts FROM tandem.dead_letter`)).rows as typeof dead;
      if (dead.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(dead.map((d) => [d.table_name, d.reason])).toEqual([
      ['entry', 'retry budget of 5 spent; last error: Uncaught Error: poison document rejected by a validator'],
    ]);
    expect(await pendingOf('entry')).toBe(0);
    expect(await pendingOf('account')).toBe(0);
  }, 90_000);

  it('the alert rules name the dead letter and the stalled table, and nothing else', async () => {
    // Nothing of fx_rate can be applied while it is paused: a stall, once its change is older than the threshold.
    // Ten minutes on (in the outbox's clock): its change waits since then, and its last applied change is older.
    await sql(`UPDATE tandem.outbox SET captured_at = now() - interval '10 minutes' WHERE table_name = 'fx_rate' AND status = 'pending'`);
    await sql(`UPDATE tandem.outbox SET processed_at = now() - interval '11 minutes' WHERE table_name = 'fx_rate' AND status = 'done'`);
    const policy = parseProjectConfig(
      { schema: 'ledger', alerts: { default: { stall: { threshold: 60, for: 0 }, untrackedWrites: { enabled: false }, lag: { for: 0 } } } },
      null,
    ).alerts;
    const sink = new RecordingSink();
    const monitor = new AlertMonitor({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, policy, tables: () => TABLES, sinks: [sink], log: silentLogger });
    await monitor.tick();
    expect(sink.sent.map((n) => `${n.table}:${n.rule}:${n.state}`).sort()).toEqual([
      'entry:deadLetters:firing',
      'fx_rate:lag:firing',
      'fx_rate:stall:firing',
    ]);
  });
});
