/**
 * One story-site table, `image` (a root of the dependency graph: it
 * references nothing, so nothing it needs can lag behind it), taken from not
 * mirrored to decommissioned through every gate of the plan, in order, with
 * the library's own functions: capture installed → backfill complete →
 * idempotency drill → alert rules → parity green 7 days (injected clock) →
 * read stage convex held 7 days → rollback drill (a running instance follows)
 * → writes moved to Convex for its write group (the story site's write
 * router, reverse sync into Postgres) → freeze (outbox drained, final parity)
 * → archive verified → guard clean → decommission.
 *
 * At each step: the exact checklist (phase, next phase, the gates met and the
 * next unmet ones), and `advance` refusing before the gate is met, naming it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storySiteGroups } from '../../src/app/writeGroups.js';
import { storySiteWriteRouter, type StorySiteWriteRouter } from '../../src/app/writes/routing.js';
import { createAppSchema, loadStorySiteConfig } from '../../src/app/schema.js';
import { STORY_SITE_CONVEX_DIR, storySitePath } from '../../src/storySiteRoot.js';
import {
  advancePhase,
  type AlertPolicy,
  alertsConfigSchema,
  archiveTable,
  backfill,
  changeLogSource,
  checklist,
  checklistGates,
  createPool,
  decommissionTable,
  DEFAULT_TOOL_SCHEMA as TOOL,
  drainReverseSync,
  EmbeddedConvexTarget,
  enabledConditions,
  freezeTable,
  GATE_ORDER,
  type GateId,
  idempotencyDrill,
  installCapture,
  migrate,
  type PhaseSources,
  ReadFlags,
  type Relay,
  resolveAlertPolicy,
  ReverseSyncWorker,
  rollbackDrill,
  runParity,
  saveWriteGroups,
  setReadStage,
  setWriteStage,
  silentLogger,
  WriteFlags,
  writeStageSource,
} from 'tandem';
import { scanForTables } from 'tandem/scan';
import { admin, appDeps, seedFixture } from '../../../../test/support/appFixture.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { makeRelay } from '../../../../test/support/mirror.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../../../../test/support/storySiteMirror.js';

const TABLE = 'image';
const DAY = 86_400_000;
// Today at noon UTC: the read and write stages' audit logs are stamped by the
// database clock, so the injected clock starts today and moves forward.
const DAY0 = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
const at = (days: number, hours = 0, minutes = 0) =>
  new Date(DAY0 + days * DAY + hours * 3_600_000 + minutes * 60_000);
const mirror = STORY_SITE_TABLES;
const TABLES = mirror.tables.map((t) => t.name);

const backends = await availableBackends();

describe.each(backends)('the image table from not mirrored to decommissioned [%s]', (backend) => {
  let db: TestDatabase;
  let convex: EmbeddedConvexTarget;
  let relay: Relay;
  let writeFlags: WriteFlags;
  let router: StorySiteWriteRouter;
  let instancePool: pg.Pool;
  let instance: ReadFlags | undefined;
  let alertPolicy: AlertPolicy;
  let guardPaths: string[];
  const sources: PhaseSources = {
    alertRules: async (table) => enabledConditions(alertPolicy, table),
    writeStage: (table) => writeStageSource(db.pool, TOOL)(table),
    guardReferences: async (table) =>
      (await scanForTables(guardPaths, { tables: [table] })).findings.map((f) => `${path.relative(storySitePath(), f.file)}:${f.line}`),
  };
  const reverseSync = () => ({
    tool: TOOL,
    pool: db.pool,
    source: changeLogSource(convex),
    config: mirror,
    idleMs: 5,
    log: silentLogger,
  });

  /** The table's checklist in brief: its phase, the next one, the gates met (plan order) and the unmet ones of the next step. */
  async function standing(now: Date) {
    const [list] = await checklist(db.pool, TOOL, mirror, [TABLE], { now, sources });
    return {
      phase: list!.phase,
      next: list!.next,
      met: list!.gates.filter((g) => g.met).map((g) => g.gate),
      unmet: list!.unmet.map((g) => `${g} (${list!.gates.find((r) => r.gate === g)!.evidence})`),
    };
  }
  const gatesUpTo = (last: GateId) => GATE_ORDER.slice(0, GATE_ORDER.indexOf(last) + 1);
  const advance = (now: Date) => advancePhase(db.pool, TOOL, mirror, TABLE, { now, sources, actor: 'test' });
  const refusal = async (now: Date) => ((await advance(now).catch((e: unknown) => e)) as Error).message;
  const saveImage = (active: string) =>
    router.writes.saveImage(appDeps(db.pool), admin(1), {
      id: 'img-a',
      active,
      gilded: 'g.svg',
      locked: 'l.svg',
      active_lip: '#fff',
      gilded_lip: '#000',
    });
  const postgresImage = async () =>
    (await db.pool.query(`SELECT id, active FROM image ORDER BY id`)).rows as Array<{ id: string; active: string }>;
  const parityAt = (now: Date) =>
    runParity(db.pool, TOOL, convex, { config: mirror, tables: [TABLE], mode: 'full', now: () => now });
  let parityDays = 0;
  /** The daily full parity a team schedules, run for each day up to `day` not run yet (each must be clean). */
  async function dailyParity(day: number) {
    for (; parityDays <= day; parityDays++) expect((await parityAt(at(parityDays, 3))).clean).toBe(true);
  }

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await migrate(db.pool, TOOL);
    // Rows from before capture: only the backfill brings them to Convex.
    await seedFixture(db.pool);
    convex = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    relay = makeRelay(db.pool, convex);
    writeFlags = await WriteFlags.start({ tool: TOOL, pool: db.pool, listen: false });
    router = storySiteWriteRouter({ stages: writeFlags, convex, log: silentLogger });
    // The image table's lag rule switched off: the alerts gate must name it.
    alertPolicy = resolveAlertPolicy(
      alertsConfigSchema.parse({ tables: { image: { lag: { enabled: false } } } }),
      'test config',
    );
    guardPaths = [storySitePath('src')];
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await instance?.close();
    await instancePool?.end().catch(() => undefined);
    await writeFlags?.close();
    await convex?.close();
    await db?.close();
  });

  it('is a root of the dependency graph: it references no table', () => {
    expect(mirror.tables.find((t) => t.name === TABLE)!.foreignKeys).toEqual([]);
  });

  it('not-mirrored → mirroring: refused until capture is on', async () => {
    expect(await standing(at(0))).toEqual({
      phase: 'not-mirrored',
      next: 'mirroring',
      met: [],
      unmet: ['capture-on (capture is absent: run tandem capture install)'],
    });
    expect(await refusal(at(0))).toBe(
      'image: cannot enter mirroring: capture-on (capture is absent: run tandem capture install)',
    );
    await installCapture(db.pool, storySiteCapture());
    expect(await standing(at(0))).toMatchObject({ phase: 'not-mirrored', met: ['capture-on'], unmet: [] });
    expect(await advance(at(0))).toMatchObject({ from: 'not-mirrored', to: 'mirroring', forcedPast: [] });
  });

  it('mirroring → backfilled: refused until the backfill is complete', async () => {
    // A live write after capture (the Postgres path: the group still writes there), mirrored by the relay.
    expect(await saveImage('a2.svg')).toEqual({ id: 'img-a' });
    await relay.drain();
    expect(await standing(at(0))).toEqual({
      phase: 'mirroring',
      next: 'backfilled',
      met: ['capture-on'],
      unmet: ['backfill-complete (backfill is not started: run tandem backfill)'],
    });
    expect(await refusal(at(0))).toBe(
      'image: cannot enter backfilled: backfill-complete (backfill is not started: run tandem backfill)',
    );
    await backfill(db.pool, TOOL, convex, { config: mirror, tables: [TABLE] });
    expect(await standing(at(0))).toMatchObject({ met: ['capture-on', 'backfill-complete'], unmet: [] });
    await advance(at(0));
  });

  it('backfilled → verified: refused until the idempotency drill, the alert rules and seven green parity days', async () => {
    expect(await standing(at(0, 1))).toEqual({
      phase: 'backfilled',
      next: 'verified',
      met: ['capture-on', 'backfill-complete'],
      unmet: [
        'idempotency-drill (no idempotency drill recorded: run tandem drill idempotency image)',
        'alert-rules (alert rules off for the table: lag (alerts in the project config))',
        'parity-green (parity green 0 of 7 consecutive days)',
      ],
    });
    const drill = await idempotencyDrill(db.pool, TOOL, convex, mirror, TABLE, { now: at(0, 1) });
    expect(drill).toMatchObject({ passed: true, replayed: 1, keys: 1, result: { applied: 0, skipped: 1 } });
    alertPolicy = (await loadStorySiteConfig()).alerts;
    expect((await standing(at(0, 2))).met).toEqual(['capture-on', 'backfill-complete', 'idempotency-drill', 'alert-rules']);
    await dailyParity(5);
    expect((await standing(at(5, 4))).unmet).toEqual(['parity-green (parity green 6 of 7 consecutive days)']);
    expect(await refusal(at(5, 4))).toBe(
      'image: cannot enter verified: parity-green (parity green 6 of 7 consecutive days)',
    );
    await dailyParity(6);
    expect(await standing(at(6, 4))).toEqual({
      phase: 'backfilled',
      next: 'verified',
      met: gatesUpTo('parity-green'),
      unmet: [],
    });
    await advance(at(6, 4));
  });

  it('verified → reads-on-convex: refused until reads held convex seven days and a rollback drill passed', async () => {
    expect((await standing(at(6, 5))).unmet).toEqual([
      'reads-convex-held (read stage is postgres, not convex)',
      'rollback-drill (no rollback drill recorded: run tandem drill rollback image)',
    ]);
    const as = { table: TABLE, actor: 'test', why: 'ramp' };
    for (const stage of ['shadow', 'convex-internal', 'convex-percent', 'convex'])
      await setReadStage(db.pool, TOOL, TABLES, { ...as, stage, percent: stage === 'convex-percent' ? 50 : undefined });
    // A running instance (its own pool, as another process would have) must follow the drill.
    instancePool = createPool(db.url, 3);
    instance = await ReadFlags.start({ tool: TOOL, pool: instancePool, instance: { label: 'story-site api', heartbeatMs: 100 } });
    const drill = await rollbackDrill(db.pool, TOOL, mirror, TABLE, { now: at(6, 6), timeoutMs: 10_000 });
    expect({ passed: drill.passed, restored: drill.restored, notFollowed: drill.notFollowed }).toEqual({
      passed: true,
      restored: true,
      notFollowed: [],
    });
    const held = await standing(at(6, 7));
    expect(held.met).toEqual([...gatesUpTo('parity-green'), 'rollback-drill']);
    expect(held.unmet).toHaveLength(1);
    expect(held.unmet[0]).toMatch(/^reads-convex-held \(reads on convex for [0-6]\.[0-9] of 7 days\)$/);
    expect(await refusal(at(6, 7))).toMatch(
      /^image: cannot enter reads-on-convex: reads-convex-held \(reads on convex for [0-6]\.[0-9] of 7 days\)$/,
    );
    // Seven days on from now (the stage was set by the database clock, today); parity ran every day.
    await dailyParity(8);
    expect(await standing(at(8))).toMatchObject({ met: gatesUpTo('rollback-drill'), unmet: [] });
    await advance(at(8));
  });

  it('reads-on-convex → writes-on-convex: refused until the write group writes through Convex', async () => {
    await saveWriteGroups(db.pool, TOOL, storySiteGroups, { actor: 'test', why: 'story site groups' });
    expect(storySiteGroups.find((g) => g.tables.includes(TABLE))!.tables).toEqual([TABLE]);
    expect((await standing(at(8, 1))).unmet).toEqual(['writes-moved (write stage is postgres, not convex)']);
    expect(await refusal(at(8, 1))).toBe(
      'image: cannot enter writes-on-convex: writes-moved (write stage is postgres, not convex)',
    );
    // The cutover: the group's outbox is in Convex, Convex's versions start past it, then the switch, unforced.
    await relay.drain();
    await new ReverseSyncWorker(reverseSync()).raiseConvexVersionFloor();
    const moved = await setWriteStage(db.pool, TOOL, {
      group: TABLE,
      stage: 'convex',
      why: 'image writes to Convex',
      actor: 'test',
      gates: checklistGates(db.pool, TOOL, mirror, { now: at(8, 1), sources }),
    });
    expect(moved).toEqual({ group: TABLE, from: 'postgres', to: 'convex', forced: false, overridden: [] });
    await writeFlags.refresh();
    expect(await standing(at(8, 2))).toMatchObject({ met: gatesUpTo('writes-moved'), unmet: [] });
    await advance(at(8, 2));
    // Writes now run in Convex and come back to Postgres through reverse sync; parity stays clean.
    const outboxBefore = await db.pool.query(`SELECT count(*)::int AS n FROM tandem.outbox WHERE table_name = 'image'`);
    expect(await saveImage('a3.svg')).toEqual({ id: 'img-a' });
    expect(await drainReverseSync(reverseSync(), undefined, 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
    expect(await postgresImage()).toEqual([
      { id: 'img-a', active: 'a3.svg' },
      { id: 'img-b', active: 'b.svg' },
    ]);
    const outboxAfter = await db.pool.query(`SELECT count(*)::int AS n FROM tandem.outbox WHERE table_name = 'image'`);
    expect(outboxAfter.rows[0].n, 'reverse sync is not captured back').toBe(outboxBefore.rows[0].n);
    expect((await parityAt(at(8, 3, 30))).clean).toBe(true);
  });

  it('writes-on-convex → frozen: refused until frozen with the outbox drained and a clean final parity', async () => {
    expect((await standing(at(8, 4))).unmet).toEqual(['frozen-drained (writes are not frozen: run tandem freeze image)']);
    expect(await refusal(at(8, 4))).toBe(
      'image: cannot enter frozen: frozen-drained (writes are not frozen: run tandem freeze image)',
    );
    relay.start();
    const frozen = await freezeTable(db.pool, TOOL, mirror, TABLE, {
      why: 'image writes live in Convex',
      pollMs: 20,
      now: () => at(8, 5),
      finalParity: (t) => runParity(db.pool, TOOL, convex, { config: mirror, tables: [t], mode: 'full', now: () => at(8, 5) }),
    });
    await relay.stop();
    expect({ clean: frozen.parityClean, pending: frozen.pendingBefore }).toEqual({ clean: true, pending: 0 });
    // A forgotten Postgres write path fails loudly; the Convex path still reaches Postgres through reverse sync.
    const forgotten = (await db.pool.query(`UPDATE image SET active = 'x.svg' WHERE id = 'img-b'`).catch((e: unknown) => e)) as {
      code?: string;
      message?: string;
    };
    expect([forgotten.code, forgotten.message?.split(':')[0]]).toEqual(['TF001', 'table public.image is frozen']);
    expect(await saveImage('a4.svg')).toEqual({ id: 'img-a' });
    expect(await drainReverseSync(reverseSync(), undefined, 30_000)).toEqual({ drained: true, pending: 0, deadLetters: 0 });
    expect((await postgresImage())[0]).toEqual({ id: 'img-a', active: 'a4.svg' });
    expect(await standing(at(8, 6))).toMatchObject({ met: gatesUpTo('frozen-drained'), unmet: [] });
    await advance(at(8, 6));
  });

  it('frozen → archived: refused until an archive is written and its restore verified', async () => {
    expect((await standing(at(8, 7))).unmet).toEqual([
      'archive-verified (no verified archive recorded: run tandem archive image)',
    ]);
    expect(await refusal(at(8, 7))).toBe(
      'image: cannot enter archived: archive-verified (no verified archive recorded: run tandem archive image)',
    );
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-image-')), 'image');
    const archived = await archiveTable(db.pool, TOOL, mirror, TABLE, { out, now: at(8, 8) });
    expect({ verified: archived.verified, rows: archived.manifest.rows }).toEqual({ verified: true, rows: 2 });
    expect(await standing(at(8, 9))).toMatchObject({ met: gatesUpTo('archive-verified'), unmet: [] });
    await advance(at(8, 9));
  });

  it('archived → decommissioned: refused while the sources still have SQL on the table; then kept read-only in tandem_retired', async () => {
    await dailyParity(9);
    const dirty = await standing(at(9));
    expect(dirty.unmet).toHaveLength(1);
    // The story site's Postgres paths still name the table: its guard is not clean.
    expect(dirty.unmet[0]).toMatch(/^guard-clean \([1-9][0-9]* SQL reference\(s\) left, first at src\/app\/[a-z/]+\.ts:[0-9]+\)$/);
    await expect(decommissionTable(db.pool, TOOL, mirror, TABLE, { sources, now: at(9) })).rejects.toThrow(
      /^image: cannot enter decommissioned: guard-clean \([1-9][0-9]* SQL reference\(s\) left, first at src\/app\//,
    );
    expect((await standing(at(9))).phase).toBe('archived');
    // Once the application's Postgres paths for the table are gone, only its Convex folder is left to scan.
    guardPaths = [STORY_SITE_CONVEX_DIR];
    expect(await standing(at(9))).toMatchObject({ met: GATE_ORDER.slice(), unmet: [] });
    expect(await decommissionTable(db.pool, TOOL, mirror, TABLE, { sources, now: at(9, 1) })).toEqual({
      table: TABLE,
      keptAs: 'tandem_retired.image',
    });
    const end = await checklist(db.pool, TOOL, mirror, [TABLE], { now: at(9, 2), sources });
    expect({ phase: end[0]!.phase, next: end[0]!.next, unmet: end[0]!.unmet }).toEqual({
      phase: 'decommissioned',
      next: null,
      unmet: [],
    });
    const kept = await db.pool.query(`SELECT id, active FROM tandem_retired.image ORDER BY id`);
    expect(kept.rows).toEqual([
      { id: 'img-a', active: 'a4.svg' },
      { id: 'img-b', active: 'b.svg' },
    ]);
    const phases = await db.pool.query(
      `SELECT detail->>'from' AS from, detail->>'to' AS to, (detail->>'forced')::boolean AS forced
         FROM tandem.audit_log WHERE action = 'phase.advance' AND target = 'image' ORDER BY id`,
    );
    expect(phases.rows).toEqual(
      ['not-mirrored', 'mirroring', 'backfilled', 'verified', 'reads-on-convex', 'writes-on-convex', 'frozen'].map(
        (from, i, all) => ({ from, to: all[i + 1] ?? 'archived', forced: false }),
      ),
    );
  });
});
