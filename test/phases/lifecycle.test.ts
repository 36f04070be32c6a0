/**
 * One table of a second application (a ledger: a text-keyed account table and
 * an entry table partitioned by an enum, with a composite key) carried through
 * the phases with the library: each gate refuses until its evidence exists,
 * the idempotency drill passes on the real apply and fails on one that takes
 * replays as new, parity must be green seven days by an injected clock,
 * forcing is audited, and a freeze rejects every write (partitions and
 * TRUNCATE included) until unfreeze.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/backfill/backfill.js';
import { installCapture, untrackedWrites } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { renderConvexFiles, writeConvexFiles } from '../../src/convex/codegen/convexFiles.js';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import type { ApplyResult, TransactionBatch } from '../../src/core/changes.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { silentLogger } from '../../src/log.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { runParity } from '../../src/parity/runParity.js';
import {
  advancePhase,
  archiveTable,
  checklist,
  decommissionTable,
  freezeTable,
  GateNotMetError,
  idempotencyDrill,
  unfreezeTable,
  type PhaseSources,
} from '../../src/phases/index.js';
import { readStageHistory, setReadStage } from '../../src/cutover/index.js';
import { alertsConfigSchema, DEFAULT_ALERT_POLICY, enabledConditions, resolveAlertPolicy } from '../../src/alerts/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { FAST_RELAY } from '../support/mirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const LEDGER_DDL = `
CREATE SCHEMA ledger;
CREATE TYPE ledger.entry_kind AS ENUM ('debit', 'credit');
CREATE TABLE ledger.account (code text PRIMARY KEY, holder varchar(40) NOT NULL, balance numeric NOT NULL);
CREATE TABLE ledger.entry (
  account_code text NOT NULL REFERENCES ledger.account,
  line int NOT NULL,
  kind ledger.entry_kind NOT NULL,
  amount numeric NOT NULL,
  PRIMARY KEY (account_code, line, kind)
) PARTITION BY LIST (kind);
CREATE TABLE ledger.entry_debit PARTITION OF ledger.entry FOR VALUES IN ('debit');
CREATE TABLE ledger.entry_credit PARTITION OF ledger.entry FOR VALUES IN ('credit');`;

const DAY = 86_400_000;
// Today at noon UTC: the read stages' audit log is stamped by the database clock, so the
// injected clock starts from today and moves forward from there.
const DAY0 = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
const at = (days: number, hours = 0) => new Date(DAY0 + days * DAY + hours * 3_600_000);
// The alert rules as a command reads them: the built-in policy, every rule on.
const SOURCES: PhaseSources = { alertRules: async (table) => enabledConditions(DEFAULT_ALERT_POLICY, table) };

/** Applies every batch with versions moved far ahead: an apply that takes a replay for a new change. */
class ReplayAsNewTarget {
  constructor(private readonly inner: EmbeddedConvexTarget) {}
  applyBatch(batches: TransactionBatch[]): Promise<ApplyResult> {
    return this.inner.applyBatch(
      batches.map((b) => ({
        ...b,
        changes: b.changes.map((c) => ({ ...c, version: c.version + 1_000_000 })),
      })),
    );
  }
  exportPage(...args: Parameters<EmbeddedConvexTarget['exportPage']>) {
    return this.inner.exportPage(...args);
  }
  rowsByKeys(table: string, keys: string[]) {
    return this.inner.rowsByKeys(table, keys);
  }
  rangeDigest(...args: Parameters<EmbeddedConvexTarget['rangeDigest']>) {
    return this.inner.rangeDigest(...args);
  }
  rangeRowHashes(...args: Parameters<EmbeddedConvexTarget['rangeRowHashes']>) {
    return this.inner.rangeRowHashes(...args);
  }
  countRows(...args: Parameters<EmbeddedConvexTarget['countRows']>) {
    return this.inner.countRows(...args);
  }
  query(p: string, args: Record<string, unknown>) {
    return this.inner.query(p, args);
  }
  readonly kind = 'embedded' as const;
}

const convexDirs = new WeakMap<EmbeddedConvexTarget, string>();
const convexDirOf = (t: EmbeddedConvexTarget) => convexDirs.get(t)!;

const backends = await availableBackends();

describe.each(backends)('a ledger table through the phases [%s]', (backend) => {
  let db: TestDatabase;
  let mirror: MirrorConfig;
  let target: EmbeddedConvexTarget;
  let relay: Relay;

  const gate = async (table: string, name: string, now = at(0)) =>
    (await checklist(db.pool, DEFAULT_TOOL_SCHEMA, mirror, [table], { now, sources: SOURCES }))[0]!.gates.find(
      (g) => g.gate === name,
    )!;
  const phaseOf = async (table: string) => (await checklist(db.pool, DEFAULT_TOOL_SCHEMA, mirror, [table]))[0]!.phase;
  const auditOf = async (action: string) =>
    (
      await db.pool.query<{ target: string; detail: Record<string, unknown> }>(
        `SELECT target, detail FROM tandem.audit_log WHERE action = $1 ORDER BY id`,
        [action],
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(LEDGER_DDL);
    mirror = (await discoverMirror(db.pool, parseProjectConfig({ schema: 'ledger' }, null))).mirror;
    const convexDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-phases-')), 'convex');
    writeConvexFiles(await renderConvexFiles(convexDir, mirror));
    target = new EmbeddedConvexTarget({ convexDir });
    convexDirs.set(target, convexDir);
    relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA,
        pool: db.pool,
        target,
        mapper: mirrorMapper(mirror),
        metrics: createRelayMetrics(),
        log: silentLogger,
      },
      FAST_RELAY,
    );
    // Rows from before capture: only the backfill brings them over.
    await db.pool.query(`INSERT INTO ledger.account VALUES ('A-1', 'Ada', 10.5), ('A-2', 'Bo', 0)`);
  });

  afterAll(async () => {
    await relay?.stop();
    await db?.close();
  });

  it('refuses to start mirroring before capture is on, and changes nothing', async () => {
    const refused = await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GateNotMetError);
    expect((refused as Error).message).toBe(
      'account: cannot enter mirroring: capture-on (capture is absent: run tandem capture install)',
    );
    expect(await phaseOf('account')).toBe('not-mirrored');
    expect(await auditOf('phase.advance')).toEqual([]);
  });

  it('mirrors and backfills, each step behind its gate', async () => {
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['account', 'entry'], mirror });
    await db.pool.query(`
      INSERT INTO ledger.account VALUES ('A-3', 'Cy', 99.99);
      UPDATE ledger.account SET balance = 11 WHERE code = 'A-1';
      INSERT INTO ledger.entry VALUES ('A-1', 1, 'debit', 5), ('A-1', 1, 'credit', 5), ('A-3', 1, 'debit', 1)`);
    await relay.drain();
    expect(await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(0) })).toEqual({
      table: 'account',
      from: 'not-mirrored',
      to: 'mirroring',
      direction: 'forward',
      forcedPast: [],
    });
    await expect(advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account')).rejects.toThrow(
      'account: cannot enter backfilled: backfill-complete (backfill is not started: run tandem backfill)',
    );
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: mirror });
    const done = await gate('account', 'backfill-complete');
    expect(done.met).toBe(true);
    expect(done.evidence).toBe('backfill done, 3 rows copied');
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(0) });
    expect(await phaseOf('account')).toBe('backfilled');
  });

  it('passes the idempotency drill on the real apply and fails it on an apply that takes replays as new', async () => {
    // A second Convex holding the same rows, so the broken apply cannot disturb the first.
    const other = new EmbeddedConvexTarget({ convexDir: convexDirOf(target) });
    await backfill(db.pool, DEFAULT_TOOL_SCHEMA, other, { config: mirror, tables: ['account'], restart: true });
    const broken = await idempotencyDrill(
      db.pool, DEFAULT_TOOL_SCHEMA,
      new ReplayAsNewTarget(other),
      mirror,
      'account',
      {
        now: at(0, 1),
      },
    );
    expect(broken.passed).toBe(false);
    expect(broken.result).toEqual({ applied: 2, skipped: 0 });
    expect(broken.changedKeys.sort()).toEqual(['A-1', 'A-3']);
    expect((await gate('account', 'idempotency-drill', at(0, 2))).evidence).toBe(
      `the last idempotency drill failed at ${at(0, 1).toISOString()}: 2 change(s) replayed: 2 applied again, 2 key(s) changed`,
    );
    const drill = await idempotencyDrill(db.pool, DEFAULT_TOOL_SCHEMA, target, mirror, 'account', { now: at(0, 3) });
    expect(drill).toMatchObject({
      passed: true,
      replayed: 2,
      keys: 2,
      result: { applied: 0, skipped: 2 },
    });
    expect(await gate('account', 'idempotency-drill', at(0, 4))).toEqual({
      gate: 'idempotency-drill',
      description: 'an idempotency drill passed (replayed changes changed nothing in Convex)',
      met: true,
      evidence:
        'idempotency drill passed: 2 change(s) of 2 key(s) replayed, all skipped, versions and hashes unchanged',
      metAt: at(0, 3),
    });
  });

  it('needs seven consecutive green parity days, counted on the injected clock', async () => {
    for (let day = 0; day < 6; day++) {
      const report = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, {
        config: mirror,
        tables: ['account'],
        now: () => at(day, 4),
      });
      expect(report.clean).toBe(true);
    }
    expect((await gate('account', 'parity-green', at(5, 5))).evidence).toBe(
      'parity green 6 of 7 consecutive days',
    );
    await expect(
      advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(5, 5), sources: SOURCES }),
    ).rejects.toThrow('cannot enter verified: parity-green (parity green 6 of 7 consecutive days)');
    await runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: mirror, tables: ['account'], now: () => at(6, 4) });
    const green = await gate('account', 'parity-green', at(6, 5));
    expect(green).toMatchObject({
      met: true,
      metAt: new Date(Math.floor(DAY0 / DAY) * DAY + 6 * DAY),
    });
    // A move computes only its step's gates: the guard's scan (CPU-bound) is not asked for here.
    let scans = 0;
    const scanning: PhaseSources = { ...SOURCES, guardReferences: async () => (scans++, []) };
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(6, 5), sources: scanning });
    expect(await phaseOf('account')).toBe('verified');
    expect(scans).toBe(0);
  });

  it('holds the alerts gate while a rule the plan asks for is off for the table, naming it', async () => {
    const lagOff = resolveAlertPolicy(
      alertsConfigSchema.parse({ tables: { account: { lag: { enabled: false }, deadLetters: { enabled: false } } } }),
      'test config',
    );
    const list = async (policy: typeof lagOff) =>
      (await checklist(db.pool, DEFAULT_TOOL_SCHEMA, mirror, ['account'], { sources: { alertRules: async (t) => enabledConditions(policy, t) } }))[0]!
        .gates.find((g) => g.gate === 'alert-rules')!;
    expect(await list(lagOff)).toMatchObject({
      met: false,
      evidence: 'alert rules off for the table: lag, deadLetters (alerts in the project config)',
    });
    expect(await list(DEFAULT_ALERT_POLICY)).toMatchObject({
      met: true,
      evidence:
        'alert rules: mirrorFailureRate, lag, deadLetters, parityDrift, untrackedWrites, shadowDrift, stall, reverseSyncLag, reverseSyncDeadLetters',
    });
  });

  it('forces past gates only with a reason, and audits which gates were unmet', async () => {
    await expect(advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { force: true })).rejects.toThrow(
      'why: --force needs --why "<reason>"',
    );
    const forced = await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
      force: true,
      why: 'reads moved by the app before Tandem had read stages',
      actor: 'ops',
      now: at(7),
    });
    expect(forced.forcedPast).toEqual(['reads-convex-held', 'rollback-drill']);
    const audit = (await auditOf('phase.advance')).at(-1)!;
    expect(audit).toEqual({
      target: 'account',
      detail: {
        from: 'verified',
        to: 'reads-on-convex',
        why: 'reads moved by the app before Tandem had read stages',
        forced: true,
        unmetGates: ['reads-convex-held', 'rollback-drill'],
        at: at(7).toISOString(),
      },
    });
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
      force: true,
      why: 'writes moved by hand',
      now: at(7),
    });
    expect((await checklist(db.pool, DEFAULT_TOOL_SCHEMA, mirror, ['account']))[0]).toMatchObject({
      phase: 'writes-on-convex',
      forced: true,
      next: 'frozen',
      unmet: ['frozen-drained'],
    });
  });

  it('freezes: every write refused with TF001, the outbox drained, parity proven; unfreeze lets writes in again', async () => {
    await expect(
      freezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'entry', {
        why: 'x',
        finalParity: () => Promise.reject(new Error('no')),
      }),
    ).rejects.toThrow('entry is not-mirrored: freeze only a table whose writes moved to Convex');
    const freezeAccount = () =>
      freezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
        why: 'x',
        dryRun: true,
        now: () => at(8),
        finalParity: () => Promise.reject(new Error('none')),
      });
    await expect(freezeAccount()).rejects.toThrow(
      'table: account reads are on postgres, not convex: freezing would serve reads from a table nobody writes',
    );
    const tables = mirror.tables.map((t) => t.name);
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, tables, {
      table: 'account',
      stage: 'convex',
      why: 'reads moved',
      actor: 'ops',
      force: true,
    });
    // The stage changed at the database's real time, not on the test's clock:
    // the days held come from the change recorded in the history.
    const movedAt = (await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'account')).at(-1)!.at;
    const heldDays = (at(3).getTime() - new Date(movedAt).getTime()) / DAY;
    expect((await gate('account', 'reads-convex-held', at(3))).evidence).toBe(
      `reads on convex for ${heldDays.toFixed(1)} of 7 days`,
    );
    expect(await gate('account', 'reads-convex-held', at(8))).toMatchObject({ met: true });
    await db.pool.query(`UPDATE ledger.account SET holder = 'Ada L.' WHERE code = 'A-1'`);
    const dry = await freezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
      why: 'x',
      dryRun: true,
      finalParity: () => Promise.reject(new Error('a dry run runs no parity')),
    });
    expect(dry).toEqual({
      table: 'account',
      phase: 'writes-on-convex',
      writersInFlight: 0,
      pendingBefore: 1,
      dryRun: true,
      parityClean: null,
      evidence: null,
    });
    relay.start();
    const result = await freezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
      why: 'writes go to Convex now',
      pollMs: 20,
      now: () => at(8),
      finalParity: (t) =>
        runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: mirror, tables: [t], now: () => at(8) }),
    });
    await relay.stop();
    expect(result).toMatchObject({ table: 'account', dryRun: false, parityClean: true });
    expect((await target.rowsByKeys('account', ['A-1']))[0]!.columns.holder).toBe('Ada L.');
    for (const sql of [
      `INSERT INTO ledger.account VALUES ('A-9', 'Zed', 1)`,
      `UPDATE ledger.account SET balance = 0`,
      `DELETE FROM ledger.account WHERE code = 'A-2'`,
      `TRUNCATE ledger.account CASCADE`,
    ]) {
      const err = (await db.pool.query(sql).catch((e: unknown) => e)) as {
        code?: string;
        message?: string;
      };
      expect(err.code, sql).toBe('TF001');
      expect(err.message).toMatch(/^table ledger\.account is frozen: its writes moved to Convex/);
    }
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ledger.account`)).rows[0].n).toBe(
      3,
    );
    // Each refused statement is counted although its transaction rolled back: the untracked-writes report shows them.
    const refusedOf = async () =>
      (await untrackedWrites(db.pool, DEFAULT_TOOL_SCHEMA)).find((u) => u.table === 'account')?.refusedWhileFrozen ?? 0;
    expect(await refusedOf()).toBe(4);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('tandem.reverse_sync', 'on', true)`);
      await client.query(`UPDATE ledger.account SET holder = 'from Convex' WHERE code = 'A-2'`);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const frozen = await gate('account', 'frozen-drained', at(8, 1));
    expect(frozen).toMatchObject({ met: true, metAt: at(8) });
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(8, 1) });
    await expect(
      advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { to: 'verified', why: 'x' }),
    ).rejects.toThrow('to: account: frozen is left only by tandem unfreeze');
    expect(await unfreezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { why: 'rollback drill' })).toEqual({
      table: 'account',
      phase: 'writes-on-convex',
    });
    expect((await auditOf('unfreeze')).at(-1)!.detail).toMatchObject({ refusedWhileFrozen: 4 });
    await db.pool.query(`UPDATE ledger.account SET balance = 1 WHERE code = 'A-2'`);
    expect(await refusedOf()).toBe(0);
    expect((await gate('account', 'frozen-drained', at(9))).evidence).toBe(
      'writes are not frozen: run tandem freeze account',
    );
  });

  it('freezes a partitioned table on every partition', async () => {
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'entry', { to: 'mirroring' });
    for (const to of ['backfilled', 'verified', 'reads-on-convex', 'writes-on-convex'])
      await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'entry', { to, force: true, why: 'test' });
    await setReadStage(
      db.pool, DEFAULT_TOOL_SCHEMA,
      mirror.tables.map((t) => t.name),
      {
        table: 'entry',
        stage: 'convex',
        why: 'reads moved',
        actor: 'ops',
        force: true,
      },
    );
    await freezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'entry', {
      why: 'entries are written in Convex',
      finalParity: (t) =>
        runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: mirror, tables: [t], record: false }),
    });
    const err = (await db.pool
      .query(`INSERT INTO ledger.entry_credit VALUES ('A-3', 2, 'credit', 1)`)
      .catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toBe('TF001');
    expect(err.message).toMatch(/^table ledger\.entry_credit is frozen/);
    // A partition attached later gets the parent's row trigger too.
    await db.pool.query(`ALTER TABLE ledger.entry DETACH PARTITION ledger.entry_credit`);
    await db.pool.query(
      `ALTER TABLE ledger.entry ATTACH PARTITION ledger.entry_credit FOR VALUES IN ('credit')`,
    );
    const again = (await db.pool
      .query(`INSERT INTO ledger.entry_credit VALUES ('A-3', 3, 'credit', 1)`)
      .catch((e: unknown) => e)) as { code?: string };
    expect(again.code).toBe('TF001');
  });

  it('archives during the freeze and decommissions only with a verified archive and a clean guard', async () => {
    relay.start();
    await freezeTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
      why: 'again',
      pollMs: 20,
      now: () => at(10),
      finalParity: (t) =>
        runParity(db.pool, DEFAULT_TOOL_SCHEMA, target, { config: mirror, tables: [t], record: false }),
    });
    await relay.stop();
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(10, 1) });
    await expect(advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(10, 1) })).rejects.toThrow(
      'cannot enter archived: archive-verified (no verified archive recorded: run tandem archive account)',
    );
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-ledger-')), 'account');
    const archived = await archiveTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { out, now: at(10, 2) });
    expect(archived.verified).toBe(true);
    await advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { now: at(10, 3) });
    const dirty: PhaseSources = { guardReferences: async () => ['src/report.ts:12'] };
    await expect(
      decommissionTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { sources: dirty, now: at(11) }),
    ).rejects.toThrow(
      'account: cannot enter decommissioned: guard-clean (1 SQL reference(s) left, first at src/report.ts:12)',
    );
    const clean: PhaseSources = { guardReferences: async () => [] };
    // Reverse sync still writes the frozen table (a change made in Convex): the archive is now stale.
    await db.pool.query(
      `BEGIN; SET LOCAL tandem.reverse_sync = 'on'; INSERT INTO ledger.account VALUES ('Z-9', 'late', 1); COMMIT`,
    );
    await expect(
      decommissionTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { sources: clean, now: at(10, 4) }),
    ).rejects.toThrow(
      `account: cannot enter decommissioned: archive-verified (the table changed since its archive at ${out} (3 row(s) archived, 4 now): run tandem archive account again, then decommission)`,
    );
    // Refused with nothing changed: still archived, in its schema, with capture on.
    expect(await phaseOf('account')).toBe('archived');
    const captureOn = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'ledger.account'::regclass AND tgname = 'tandem_capture'`,
    );
    expect(captureOn.rows[0].n).toBe(1);
    const again = path.join(path.dirname(out), 'account-again');
    expect((await archiveTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { out: again, now: at(10, 5) })).verified).toBe(true);
    expect(
      await decommissionTable(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { sources: clean, now: at(11) }),
    ).toEqual({
      table: 'account',
      keptAs: 'tandem_retired.account',
    });
    expect(await phaseOf('account')).toBe('decommissioned');
    const kept = await db.pool.query(`SELECT count(*)::int AS n FROM tandem_retired.account`);
    expect(kept.rows[0].n).toBe(4);
    const triggers = await db.pool.query(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'tandem_retired.account'::regclass AND NOT tgisinternal ORDER BY 1`,
    );
    // Capture is gone; the freeze stays, so the kept table is read-only.
    expect(triggers.rows.map((r) => r.tgname)).toEqual(['tandem_freeze', 'tandem_freeze_truncate']);
    await expect(
      advancePhase(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { to: 'archived', why: 'x' }),
    ).rejects.toThrow('a decommissioned table does not come back');
  });
});
