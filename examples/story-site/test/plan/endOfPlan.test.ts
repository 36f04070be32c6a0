/**
 * The end of the plan on the story site, under live API traffic: from
 * all-Postgres to every table read and written in Convex, group by group in
 * dependency order, then each group's tables frozen, archived and
 * decommissioned, on PGlite and real PostgreSQL.
 *
 * Writers run through the whole test over the API (the story site's read and
 * write routers): editors toggle approvals (the course+language+story+
 * story_approval group), a reader records finished stories (story_done), and
 * each lookup group has a writer setting a value it counts up (image, avatar,
 * speaker, localization, avatar_mapping). Every gate is met, none forced:
 * backfill, idempotency drills, the story site's alert rules, seven green
 * parity days and seven days of Convex reads on an injected clock, a rollback
 * drill per table that the API's own read flags follow.
 *
 * At every step a checkpoint holds the writes (requests wait, none fails),
 * drains both directions and checks: zero drift (full parity of every table
 * still kept in Postgres), the six invariants in both stores (a retired
 * table is read where decommission put it), and every acknowledged write's
 * effect present exactly (each setter's last value, each editor's toggles
 * alternating and ending where they say, every finished-story id once).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorySiteServer } from '../../src/api/storySiteApi.js';
import { READ_SOURCE_HEADER } from '../../src/api/readSource.js';
import { sendWrite, type WriteAck } from '../api/harness.js';
import { checkInvariantsConvex } from '../../src/app/invariants/convex.js';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import { ConvexReadPaths } from '../../src/app/reads/convex.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import { storySiteReader, storySiteReadRouting } from '../../src/app/reads/routing.js';
import { createAppSchema, loadStorySiteConfig } from '../../src/app/schema.js';
import { storySiteGroups } from '../../src/app/writeGroups.js';
import { storySiteWriteRouter, type StorySiteWriteRouter } from '../../src/app/writes/routing.js';
import { STORY_SITE_CONVEX_DIR } from '../../src/storySiteRoot.js';
import {
  advancePhase,
  archiveTable,
  backfill,
  changeLogSource,
  checklist,
  checklistGates,
  convexKeyRangeStore,
  createPool,
  decommissionTable,
  DEFAULT_TOOL_SCHEMA as TOOL,
  drainReverseSync,
  type EmbeddedConvexTarget,
  enabledConditions,
  freezeTable,
  idempotencyDrill,
  installCapture,
  migrate,
  orderWriteGroups,
  type PhaseSources,
  ReadFlags,
  readPlan,
  refillKeyRanges,
  type Relay,
  ReverseSyncWorker,
  rollbackDrill,
  runParity,
  saveWriteGroups,
  setReadStage,
  setWriteStage,
  silentLogger,
  type TokenEntry,
  withTransaction,
  WriteFlags,
  writeStageSource,
} from 'tandem';
import { scanForTables } from 'tandem/scan';
import { appDeps, seedExtendedFixture } from '../../../../test/support/appFixture.js';
import { convexSideFor, SERIAL_KEYS } from '../../../../test/support/convexWrites.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { makeRelay } from '../../../../test/support/mirror.js';
import { STORY_SITE_GROUP_ORDER, STORY_SITE_TABLES, storySiteCapture } from '../../../../test/support/storySiteMirror.js';
import { SEED_EXTRAS } from '../../../../test/support/writeCalls.js';

const mirror = STORY_SITE_TABLES;
const TABLES = mirror.tables.map((t) => t.name);
/** The groups in dependency order, from orderWriteGroups over the plan (checked against STORY_SITE_GROUP_ORDER). */
let GROUP_ORDER: string[] = [];
const EDITORS = [1, 2, 3, 4];
const ADMIN_TOKEN = 'admin-live-token';
const TOKENS: Record<string, TokenEntry> = {
  ...Object.fromEntries(EDITORS.map((u) => [`editor-live-token-${u}`, { userId: u, role: 'editor' as const }])),
  [ADMIN_TOKEN]: { userId: 9, role: 'admin' },
};

const DAY = 86_400_000;
// Today at noon UTC: the stages' audit logs are stamped by the database clock, so the injected clock moves on from today.
const DAY0 = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
let minutes = 0;
/** A moment of day `d`, each call a minute after the last one of that day. */
const at = (d: number) => new Date(DAY0 + d * DAY + ++minutes * 60_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Ack = WriteAck;

/** A lookup writer: one row, one column, set to `${prefix}${n}` with n counting up. */
interface Setter {
  group: string;
  table: string;
  key: string;
  column: string;
  prefix: string;
  request: (n: number) => { method: 'PUT'; url: string; token: string; payload: Record<string, unknown> };
}

const SETTERS: Setter[] = [
  {
    group: 'image',
    table: 'image',
    key: 'img-b',
    column: 'active',
    prefix: 'b-',
    request: (n) => ({
      method: 'PUT',
      url: '/api/images/img-b',
      token: ADMIN_TOKEN,
      payload: { active: `b-${n}`, gilded: 'g.svg', locked: 'l.svg', active_lip: '#fff', gilded_lip: '#000' },
    }),
  },
  {
    group: 'avatar',
    table: 'avatar',
    key: '1',
    column: 'name',
    prefix: 'Ana ',
    request: (n) => ({
      method: 'PUT',
      url: '/api/avatars/1',
      token: ADMIN_TOKEN,
      payload: { link: 'https://example.org/a1.png', name: `Ana ${n}` },
    }),
  },
  {
    group: 'course+language+story+story_approval',
    table: 'language',
    key: '3',
    column: 'default_text',
    prefix: 'Hallo ',
    request: (n) => ({
      method: 'PUT',
      url: '/api/languages/3/default-text',
      token: 'editor-live-token-3',
      payload: { default_text: `Hallo ${n}` },
    }),
  },
  {
    group: 'speaker',
    table: 'speaker',
    key: '1',
    column: 'service',
    prefix: 'svc-',
    request: (n) => ({
      method: 'PUT',
      url: '/api/speakers/1',
      token: ADMIN_TOKEN,
      payload: { language_id: 1, speaker: 'voice-0', gender: 'MALE', type: 'NORMAL', service: `svc-${n}` },
    }),
  },
  {
    group: 'localization',
    table: 'localization',
    key: 'tag:live',
    column: 'text',
    prefix: 'live ',
    request: (n) => ({
      method: 'PUT',
      url: '/api/localizations',
      token: 'editor-live-token-1',
      payload: { language_id: 1, tag: 'live', text: `live ${n}` },
    }),
  },
  {
    group: 'avatar_mapping',
    table: 'avatar_mapping',
    key: 'pair:1-1',
    column: 'speaker',
    prefix: 'voice-',
    request: (n) => ({
      method: 'PUT',
      url: '/api/avatar-mappings',
      token: 'editor-live-token-2',
      payload: { avatar_id: 1, language_id: 1, speaker: `voice-${n}` },
    }),
  },
];

/*
 * On PGlite too. It took 9 to 12 minutes there, because everything shares one
 * JavaScript thread (PGlite, the embedded Convex, the API, the guard's scan)
 * and one PGlite connection: the reverse-sync worker polled every 5 ms with a
 * locked transaction and a prune mutation each time (an idle worker now peeks
 * without a transaction and prunes only new commits), and every phase move
 * computed every gate, so the guard scanned the Convex folder 110 times in a
 * run, about 4 s a scan under the traffic (a move now computes only its
 * step's gates). With both, 47 to 93 s on PGlite in two runs on a loaded host
 * (PostgreSQL 28 s in the same run as the 47 s).
 */
const backends = await availableBackends();

describe.each(backends)('the story site to the end of the plan under live traffic [%s]', (backend) => {
  // Writes in Convex come faster than reverse sync applies them on a loaded machine: a paced writer
  // keeps each checkpoint's drain short.
  const PACE_MS = 250;
  let db: TestDatabase;
  let convex: EmbeddedConvexTarget;
  let readFlags: ReadFlags;
  let writeFlags: WriteFlags;
  let router: StorySiteWriteRouter;
  let app: FastifyInstance;
  let relay: Relay;
  let worker: ReverseSyncWorker;
  let reverse: Promise<void>;
  let traffic: Promise<unknown>;
  let stop = false;
  const decommissioned = new Set<string>();
  const archives = new Map<string, number>();
  const toggles = new Map<number, Ack[]>(EDITORS.map((u) => [u, []]));
  const done: Ack[] = [];
  const sets = new Map<string, Array<Ack & { n: number }>>(SETTERS.map((s) => [s.table, []]));
  const storyOf = new Map<number, number>();
  const approvedAtStart = new Map<number, boolean>();
  let doneBefore = new Set<number>();
  let sources: PhaseSources;
  const checkpoints: string[] = [];

  const reverseSync = () => ({
    tool: TOOL,
    pool: db.pool,
    source: changeLogSource(convex),
    config: mirror,
    idleMs: 5,
    log: silentLogger,
  });
  const send = (method: 'POST' | 'PUT', url: string, token?: string, payload?: Record<string, unknown>) =>
    sendWrite(app, method, url, token, payload);

  function startTraffic() {
    const loop = async (step: () => Promise<void>) => {
      // A pause per request: in-process PGlite answers in microtasks, and timers must still run.
      while (!stop) {
        await sleep(PACE_MS);
        await step();
      }
    };
    const editors = EDITORS.map((u) =>
      loop(async () => {
        toggles.get(u)!.push(await send('POST', `/api/stories/${storyOf.get(u)}/approval`, `editor-live-token-${u}`));
      }),
    );
    const reader = loop(async () => {
      done.push(await send('POST', `/api/stories/${storyOf.get(1)}/done`));
    });
    const setters = SETTERS.map((s) => {
      let n = 0;
      return loop(async () => {
        const r = s.request(++n);
        sets.get(s.table)!.push({ ...(await send(r.method, r.url, r.token, r.payload)), n });
      });
    });
    traffic = Promise.all([...editors, reader, ...setters]);
  }

  /** Reads Postgres as it is: a retired table where decommission moved it (a search path for one transaction). */
  const inPostgres = <T>(read: (tx: pg.PoolClient) => Promise<T>) =>
    withTransaction(db.pool, async (tx) => {
      await tx.query(`SET LOCAL search_path TO public, tandem_retired`);
      return read(tx);
    });
  const groupOf = (name: string) => storySiteGroups.find((g) => g.name === name)!;
  const outboxPending = async () =>
    (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending'`)).rows[0]!.n;

  /** A Convex document's column, found by the setter's key. */
  async function convexValue(s: Setter): Promise<unknown> {
    const docs = await convex.documents(s.table);
    const doc = docs.find((d) =>
      s.key === 'tag:live'
        ? d.tag === 'live' && d.language_id === 1
        : s.key === 'pair:1-1'
          ? d.avatar_id === 1 && d.language_id === 1
          : String(d.pgKey) === s.key,
    );
    return doc?.[s.column];
  }
  async function postgresValue(s: Setter): Promise<unknown> {
    const where =
      s.key === 'tag:live'
        ? `tag = 'live' AND language_id = 1`
        : s.key === 'pair:1-1'
          ? 'avatar_id = 1 AND language_id = 1'
          : `id::text = '${s.key}'`;
    const { rows } = await inPostgres((tx) => tx.query(`SELECT ${s.column} AS v FROM ${s.table} WHERE ${where}`));
    return rows[0]?.v;
  }

  /** Every acknowledged write's effect, exactly, in Convex and (for tables Postgres still keeps in step) Postgres. */
  async function expectAcknowledgedWrites(label: string) {
    const all = [...[...toggles.values()].flat(), ...done, ...[...sets.values()].flat()];
    expect(all.filter((a) => a.status >= 300).map((a) => [a.status, a.body]), label).toEqual([]);
    for (const s of SETTERS) {
      const last = sets.get(s.table)!.at(-1);
      if (!last) continue;
      expect(await convexValue(s), `${label}: ${s.table} in Convex`).toBe(`${s.prefix}${last.n}`);
      if (!decommissioned.has(s.table))
        expect(await postgresValue(s), `${label}: ${s.table} in Postgres`).toBe(`${s.prefix}${last.n}`);
    }
    const approvals = await convex.documents('story_approval');
    for (const u of EDITORS) {
      const actions = toggles.get(u)!.map((a) => a.body.action);
      expect(actions, `${label}: editor ${u}'s toggles alternate`).toEqual(
        actions.map((_, i) => ((i % 2 === 0) === approvedAtStart.get(u) ? 'removed' : 'added')),
      );
      const approvedNow = approvedAtStart.get(u) !== (actions.length % 2 === 1);
      expect(approvals.some((d) => d.user_id === u && d.story_id === storyOf.get(u)), `${label}: editor ${u} in Convex`).toBe(
        approvedNow,
      );
      if (!decommissioned.has('story_approval')) {
        const inPostgres = await db.pool.query('SELECT 1 FROM story_approval WHERE user_id = $1 AND story_id = $2', [
          u,
          storyOf.get(u),
        ]);
        expect(inPostgres.rowCount, `${label}: editor ${u} in Postgres`).toBe(approvedNow ? 1 : 0);
      }
    }
    const acked = done.map((a) => a.body.id as number).sort((a, b) => a - b);
    const inConvex = (await convex.documents('story_done'))
      .map((d) => d.id as number)
      .filter((id) => !doneBefore.has(id))
      .sort((a, b) => a - b);
    expect(inConvex, `${label}: finished stories in Convex`).toEqual(acked);
    if (!decommissioned.has('story_done')) {
      const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM story_done ORDER BY id');
      expect(rows.map((r) => r.id).filter((id) => !doneBefore.has(id)), `${label}: finished stories in Postgres`).toEqual(acked);
    }
  }

  /**
   * Holds every group's writes (requests wait; in-flight ones finish), drains
   * both directions, checks, runs `during` if given, lets the writes go.
   */
  async function checkpoint(label: string, now: Date, during?: () => Promise<void>) {
    const groups = storySiteGroups.map((g) => g.name);
    for (const g of groups) await router.pause(g);
    try {
      while ((await outboxPending()) > 0) await sleep(5);
      expect(await drainReverseSync(reverseSync(), undefined, 180_000), label).toEqual({ drained: true, pending: 0, deadLetters: 0 });
      const kept = TABLES.filter((t) => !decommissioned.has(t));
      if (kept.length > 0) {
        const parity = await runParity(db.pool, TOOL, convex, { config: mirror, tables: kept, mode: 'full', now: () => now });
        expect(Object.keys(parity.tables).sort(), label).toEqual([...kept].sort());
        const drift = Object.values(parity.tables).filter((t) => t.missing.length + t.extra.length + t.different.length > 0);
        expect(drift.map((t) => t.table), `${label}: drift`).toEqual([]);
        expect(parity.clean, label).toBe(true);
      }
      expect(await inPostgres((tx) => checkInvariantsPostgres(tx)), `${label}: invariants in Postgres`).toEqual([]);
      expect(await checkInvariantsConvex(convex), `${label}: invariants in Convex`).toEqual([]);
      await expectAcknowledgedWrites(label);
      // The id ranges Convex creates rows from, topped up as a key refiller would (with the tool
      // schema, a retired table's ids come from its sequence where the decommission moved it).
      await refillKeyRanges(db.pool, convexKeyRangeStore(convex), SERIAL_KEYS, {
        lowWater: 1_000,
        batch: 2_000,
        tool: TOOL,
      });
      for (const [table, rows] of archives) {
        if (!decommissioned.has(table)) continue;
        const kept = await db.pool.query(`SELECT count(*)::int AS n FROM tandem_retired.${table}`);
        expect(kept.rows[0].n, `${label}: retired ${table} is its archive`).toBe(rows);
      }
      await during?.();
      checkpoints.push(label);
    } finally {
      for (const g of groups) router.resume(g);
    }
  }

  const phaseOf = async (table: string) => (await checklist(db.pool, TOOL, mirror, [table]))[0]!.phase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await migrate(db.pool, TOOL);
    // The site's rows from before Tandem (one seeding transaction over many tables, not a write path of
    // the application: captured, it would count as a transaction crossing the write groups).
    await seedExtendedFixture(db.pool);
    await db.pool.query(SEED_EXTRAS);
    await installCapture(db.pool, storySiteCapture());
    convex = await convexSideFor(db.pool, 2_000);
    await backfill(db.pool, TOOL, convex, { config: mirror });
    await saveWriteGroups(db.pool, TOOL, storySiteGroups, { actor: 'test', why: 'story site groups' });
    const config = await loadStorySiteConfig();
    GROUP_ORDER = orderWriteGroups(storySiteGroups, await readPlan(db.pool, { config })).map((g) => g.name);
    expect(GROUP_ORDER).toEqual(STORY_SITE_GROUP_ORDER);
    const policy = config.alerts;
    sources = {
      alertRules: async (t) => enabledConditions(policy, t),
      writeStage: (t) => writeStageSource(db.pool, TOOL)(t),
      // The sources left once the Postgres paths are gone: the application's Convex folder.
      guardReferences: async (t) =>
        (await scanForTables([STORY_SITE_CONVEX_DIR], { tables: [t] })).findings.map((f) => `${f.file}:${f.line}`),
    };
    // The API's own read flags are the running instance every rollback drill must see follow.
    readFlags = await ReadFlags.start({ tool: TOOL, pool: createPool(db.url, 3), instance: { label: 'story-site api', heartbeatMs: 100 } });
    writeFlags = await WriteFlags.start({ tool: TOOL, pool: db.pool, listen: false });
    router = storySiteWriteRouter({ stages: writeFlags, convex, log: silentLogger });
    const postgresReads = new PostgresReadPaths(db.pool);
    app = createStorySiteServer({
      tool: TOOL,
      deps: appDeps(db.pool),
      reads: postgresReads,
      readRouting: storySiteReadRouting(storySiteReader({ tool: TOOL, flags: readFlags, pool: db.pool, log: silentLogger }), {
        postgres: postgresReads,
        convex: new ConvexReadPaths(convex),
      }),
      writeRouter: router,
      tokens: TOKENS,
      logger: silentLogger,
    });
    await app.ready();
    relay = makeRelay(db.pool, convex);
    worker = new ReverseSyncWorker(reverseSync());
    const { rows: live } = await db.pool.query<{ id: number }>('SELECT id FROM story WHERE NOT deleted ORDER BY id LIMIT $1', [
      EDITORS.length,
    ]);
    EDITORS.forEach((u, i) => storyOf.set(u, live[i]!.id));
    for (const u of EDITORS)
      approvedAtStart.set(
        u,
        (await db.pool.query('SELECT 1 FROM story_approval WHERE user_id = $1 AND story_id = $2', [u, storyOf.get(u)]))
          .rowCount === 1,
      );
    doneBefore = new Set((await db.pool.query<{ id: number }>('SELECT id FROM story_done')).rows.map((r) => r.id));
  }, 180_000);

  afterAll(async () => {
    stop = true;
    await traffic?.catch(() => undefined);
    await relay?.stop();
    await worker?.stop();
    await app?.close();
    await writeFlags?.close();
    await readFlags?.close();
    await convex?.close();
    await db?.close();
  });

  it('starts all-Postgres with live traffic, moves every table\'s reads to Convex and meets every gate before the writes', { timeout: 600_000 }, async () => {
    relay.start();
    reverse = worker.start();
    startTraffic();
    // The idempotency drills replay applied changes: wait until the traffic has written every table.
    const written = async () =>
      (await db.pool.query(`SELECT count(DISTINCT table_name)::int AS n FROM tandem.outbox WHERE status = 'done'`)).rows[0].n;
    for (let waited = 0; (await written()) < TABLES.length; waited += 50) {
      expect(waited, 'traffic wrote every table').toBeLessThan(60_000);
      await sleep(50);
    }
    await checkpoint('day 0, all Postgres', at(0), async () => {
      for (const table of TABLES) {
        await advancePhase(db.pool, TOOL, mirror, table, { now: at(0), sources });
        await advancePhase(db.pool, TOOL, mirror, table, { now: at(0), sources });
        const drill = await idempotencyDrill(db.pool, TOOL, convex, mirror, table, { now: at(0) });
        expect(drill.passed, `idempotency drill of ${table}`).toBe(true);
      }
    });
    for (const table of TABLES)
      for (const stage of ['shadow', 'convex-internal', 'convex-percent', 'convex'])
        await setReadStage(db.pool, TOOL, TABLES, {
          table,
          stage,
          percent: stage === 'convex-percent' ? 50 : undefined,
          actor: 'test',
          why: 'read cutover',
        });
    await readFlags.refresh();
    for (const table of TABLES) {
      const drill = await rollbackDrill(db.pool, TOOL, mirror, table, { now: at(0), timeoutMs: 20_000 });
      expect([table, drill.passed, drill.notFollowed]).toEqual([table, true, []]);
    }
    for (let day = 1; day <= 8; day++) {
      await sleep(100);
      await checkpoint(`day ${day}`, at(day));
      if (day === 6) for (const table of TABLES) await advancePhase(db.pool, TOOL, mirror, table, { now: at(6), sources });
    }
    for (const table of TABLES) await advancePhase(db.pool, TOOL, mirror, table, { now: at(8), sources });
    // The application reads from Convex now.
    for (const url of ['/api/courses', `/api/stories/${storyOf.get(1)}`, '/api/languages/1/localization'])
      expect([url, (await app.inject({ method: 'GET', url })).headers[READ_SOURCE_HEADER.toLowerCase()]]).toEqual([url, 'convex']);
    const lists = await checklist(db.pool, TOOL, mirror, TABLES, { now: at(8), sources });
    expect(lists.map((l) => `${l.table} ${l.phase} ${l.unmet.join(',')}`)).toEqual(
      TABLES.map((t) => `${t} reads-on-convex writes-moved`),
    );
  });

  it('moves the writes to Convex group by group in dependency order, unforced, with zero drift at each step', { timeout: 600_000 }, async () => {
    for (const name of GROUP_ORDER) {
      const group = groupOf(name);
      await checkpoint(`writes of ${name} to Convex`, at(8), async () => {
        await new ReverseSyncWorker(reverseSync()).raiseConvexVersionFloor();
        const moved = await setWriteStage(db.pool, TOOL, {
          group: name,
          stage: 'convex',
          why: 'the end of the plan',
          actor: 'test',
          gates: checklistGates(db.pool, TOOL, mirror, { now: at(8), sources }),
        });
        expect(moved).toMatchObject({ from: 'postgres', to: 'convex', forced: false });
        await writeFlags.refresh();
        for (const table of group.tables) await advancePhase(db.pool, TOOL, mirror, table, { now: at(8), sources });
      });
      await sleep(200);
    }
    // Each writer's acknowledgements so far: those after them were requested once every group wrote in Convex.
    const writers = () => [...toggles.values(), done, ...sets.values()];
    const movedAt = writers().map((acks) => acks.length);
    await checkpoint('every group writes in Convex', at(8));
    // Every write after the last group moved was made in Convex. A slow backend may hold a writer's next
    // request until here (checkpoints hold writes): wait for each writer's next acknowledgement.
    const answeredSince = () => writers().every((acks, i) => acks.length > movedAt[i]!);
    for (let waited = 0; !answeredSince(); waited += 50) {
      expect(waited, 'every writer answered after the last move').toBeLessThan(60_000);
      await sleep(50);
    }
    const since = writers().flatMap((acks, i) => acks.slice(movedAt[i]));
    expect(new Set(since.map((a) => a.source))).toEqual(new Set(['convex']));
    expect((await checklist(db.pool, TOOL, mirror, TABLES, { now: at(8), sources })).map((l) => l.phase)).toEqual(
      TABLES.map(() => 'writes-on-convex'),
    );
  });

  it('freezes, archives and decommissions the Postgres tables group by group, writes still going to Convex', { timeout: 600_000 }, async () => {
    const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-end-'));
    for (const name of GROUP_ORDER) {
      const group = groupOf(name);
      // Frozen while the group's writes are held and both directions drained, so the final parity is exact.
      await checkpoint(`${name} frozen`, at(8), async () => {
        for (const table of group.tables) {
          const frozen = await freezeTable(db.pool, TOOL, mirror, table, {
            why: 'the end of the plan',
            pollMs: 20,
            now: () => at(8),
            finalParity: (t) => runParity(db.pool, TOOL, convex, { config: mirror, tables: [t], mode: 'full', now: () => at(8) }),
          });
          expect([table, frozen.parityClean]).toEqual([table, true]);
          await advancePhase(db.pool, TOOL, mirror, table, { now: at(8), sources });
        }
      });
      await sleep(100);
      // Archived and decommissioned in one hold: reverse sync still writes a frozen table, so an archive
      // taken earlier would miss what Convex wrote in between.
      await checkpoint(`${name} archived and decommissioned`, at(8), async () => {
        for (const table of group.tables) {
          const archived = await archiveTable(db.pool, TOOL, mirror, table, { out: path.join(outRoot, table), now: at(8) });
          expect([table, archived.verified]).toEqual([table, true]);
          archives.set(table, archived.manifest.rows);
          await advancePhase(db.pool, TOOL, mirror, table, { now: at(8), sources });
          expect(await decommissionTable(db.pool, TOOL, mirror, table, { sources, now: at(8) })).toEqual({
            table,
            keptAs: `tandem_retired.${table}`,
          });
          decommissioned.add(table);
        }
      });
      await sleep(100);
    }
    stop = true;
    await traffic;
    await checkpoint('the end: Convex alone', at(8));
    const courses = await app.inject({ method: 'GET', url: '/api/courses' });
    expect([courses.statusCode, courses.headers[READ_SOURCE_HEADER.toLowerCase()]]).toEqual([200, 'convex']);
    await relay.stop();
    await worker.stop();
    await reverse;
    for (const table of TABLES) expect([table, await phaseOf(table)]).toEqual([table, 'decommissioned']);
    const dead = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM tandem.reverse_sync_dead_letter) AS reverse,
              (SELECT count(*)::int FROM tandem.outbox WHERE status <> 'done') AS forward`,
    );
    expect(dead.rows[0]).toEqual({ reverse: 0, forward: 0 });
    const acknowledged = [...toggles.values()].flat().length + done.length + [...sets.values()].flat().length;
    console.log(`[${backend}] ${acknowledged} writes acknowledged over ${checkpoints.length} checkpoints`);
  });
});
