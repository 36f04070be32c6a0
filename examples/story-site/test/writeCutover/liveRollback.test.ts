/**
 * A write cutover and its rollback under live API traffic, with the relay
 * and reverse sync running: editors toggle approvals (the approvals' write
 * group) and readers record finished stories (another group, left at
 * `postgres`) without pause while the approvals' group goes
 * postgres → convex → postgres. The forward switch holds the group's writes,
 * drains its outbox and raises Convex's version floor before switching; the
 * rollback holds, drains reverse sync, then switches (rollbackWriteStage).
 *
 * Exact checks: every request is acknowledged; each editor's toggles
 * alternate added/removed from the state it started in (a lost write or one
 * applied twice would repeat an action); the final approvals in both stores
 * are what the acknowledged toggles make them; the finished-story rows
 * created are exactly the acknowledged ids, once each; zero drift and the
 * invariants in both stores; no dead letter either way. The pauses are
 * printed (figures belong to bench/, not to this test).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorySiteServer } from '../../src/api/storySiteApi.js';
import { sendWrite, type WriteAck } from '../api/harness.js';
import { checkInvariantsConvex } from '../../src/app/invariants/convex.js';
import { checkInvariantsPostgres } from '../../src/app/invariants/postgres.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import { storySiteGroups, storySiteWriteGroups } from '../../src/app/writeGroups.js';
import { storySiteWriteRouter, type StorySiteWriteRouter } from '../../src/app/writes/routing.js';
import {
  changeLogSource,
  DEFAULT_TOOL_SCHEMA,
  drainReverseSync,
  type EmbeddedConvexTarget,
  type Relay,
  ReverseSyncWorker,
  rollbackWriteStage,
  saveWriteGroups,
  setWriteStage,
  silentLogger,
  type TokenEntry,
  WriteFlags,
} from 'tandem';
import { appDeps, seedExtendedFixture } from '../../../../test/support/appFixture.js';
import { convexSideFor } from '../../../../test/support/convexWrites.js';
import { prepareCapturedSchema } from '../../../../test/support/convexReads.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { expectConvexEqualsPostgres, makeRelay } from '../../../../test/support/mirror.js';
import { STORY_SITE_TABLES } from '../../../../test/support/storySiteMirror.js';
import { SEED_EXTRAS } from '../../../../test/support/writeCalls.js';

const GROUP = storySiteWriteGroups.toggleApproval!;
const EDITORS = [1, 2, 3, 4];
const TOKENS: Record<string, TokenEntry> = Object.fromEntries(
  EDITORS.map((u) => [`editor-live-token-${u}`, { userId: u, role: 'editor' as const }]),
);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Ack = WriteAck;

/*
 * Real PostgreSQL only. On PGlite the forward switch hangs: setWriteStage,
 * called while API writers and the relay share the one embedded connection,
 * never returns (seen after the outbox drained and the floor was raised; not
 * diagnosed yet, see the branch's report).
 */
const backends = (await availableBackends()).filter((b) => b === 'postgres');

describe.each(backends)('write cutover and rollback under live traffic [%s]', (backend) => {
  let db: TestDatabase;
  let convex: EmbeddedConvexTarget;
  let flags: WriteFlags;
  let router: StorySiteWriteRouter;
  let app: FastifyInstance;
  let relay: Relay;
  let worker: ReverseSyncWorker;

  const reverseSync = () => ({
    tool: DEFAULT_TOOL_SCHEMA,
    pool: db.pool,
    source: changeLogSource(convex),
    config: STORY_SITE_TABLES,
    idleMs: 5,
    log: silentLogger,
  });
  const post = (url: string, token?: string) => sendWrite(app, 'POST', url, token);
  /** Pending outbox events of these tables. */
  const outboxPending = async (tables: readonly string[]) =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending' AND table_name = ANY($1)`,
        [tables],
      )
    ).rows[0]!.n;

  /**
   * Postgres → Convex under traffic: hold the group's writes (in flight
   * finish), wait for its outbox to reach Convex, raise Convex's version floor
   * past the outbox, switch, let the writes go. Returns the pause (ms).
   */
  async function cutOver(): Promise<number> {
    const tables = storySiteGroups.find((g) => g.name === GROUP)!.tables;
    const started = performance.now();
    await router.pause(GROUP);
    try {
      while ((await outboxPending(tables)) > 0) await sleep(5);
      await new ReverseSyncWorker(reverseSync()).raiseConvexVersionFloor();
      await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        group: GROUP,
        stage: 'convex',
        why: 'live cutover',
        actor: 'test',
        force: true,
        gates: async () => [],
      });
      await flags.refresh();
    } finally {
      router.resume(GROUP);
    }
    return performance.now() - started;
  }

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareCapturedSchema(db.pool);
    await seedExtendedFixture(db.pool);
    await db.pool.query(SEED_EXTRAS);
    convex = await convexSideFor(db.pool, 2_000);
    await saveWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA, storySiteGroups, { actor: 'test', why: 'story site groups' });
    flags = await WriteFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, listen: false });
    router = storySiteWriteRouter({ stages: flags, convex, log: silentLogger });
    app = createStorySiteServer({ tool: DEFAULT_TOOL_SCHEMA,
      deps: appDeps(db.pool),
      reads: new PostgresReadPaths(db.pool),
      writeRouter: router,
      tokens: TOKENS,
      logger: silentLogger,
    });
    await app.ready();
    relay = makeRelay(db.pool, convex);
    worker = new ReverseSyncWorker(reverseSync());
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await worker?.stop();
    await app?.close();
    await flags?.close();
    await convex?.close();
    await db?.close();
  });

  it(
    'loses no acknowledged write and applies none twice; both stores agree after',
    { timeout: 180_000 },
    async () => {
      const { rows: live } = await db.pool.query<{ id: number }>(
        'SELECT id FROM story WHERE NOT deleted ORDER BY id LIMIT $1',
        [EDITORS.length],
      );
      const storyOf = new Map(EDITORS.map((u, i) => [u, live[i]!.id]));
      const approvedAtStart = async (u: number) =>
        (
          await db.pool.query('SELECT 1 FROM story_approval WHERE user_id = $1 AND story_id = $2', [
            u,
            storyOf.get(u),
          ])
        ).rowCount === 1;
      const initial = new Map<number, boolean>();
      for (const u of EDITORS) initial.set(u, await approvedAtStart(u));
      const doneBefore = new Set(
        (await db.pool.query<{ id: number }>('SELECT id FROM story_done')).rows.map((r) => r.id),
      );
      relay.start();
      const reverse = worker.start();
      let stop = false;
      const toggles = new Map<number, Ack[]>(EDITORS.map((u) => [u, []]));
      const done: Ack[] = [];
      const editorLoop = async (u: number) => {
        // A pause per request: in-process PGlite answers in microtasks, and timers must still run.
        while (!stop) {
          await sleep(2);
          const ack = await post(
            `/api/stories/${storyOf.get(u)}/approval`,
            `editor-live-token-${u}`,
          );
          toggles.get(u)!.push(ack);
        }
      };
      const readerLoop = async () => {
        while (!stop) {
          await sleep(2);
          done.push(await post(`/api/stories/${live[0]!.id}/done`));
        }
      };
      const traffic = Promise.all([...EDITORS.map(editorLoop), readerLoop()]);

      await sleep(500);
      const forwardPauseMs = await cutOver();
      await sleep(1_000);
      const rollback = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        group: GROUP,
        actor: 'test',
        why: 'live rollback',
        drain: {
          drain: (_group, deadlineMs) => drainReverseSync(reverseSync(), undefined, deadlineMs),
        },
        hold: router,
        deadlineMs: 30_000,
      });
      await flags.refresh();
      await sleep(500);
      stop = true;
      await traffic;
      await relay.stop();
      await worker.stop();
      await reverse;
      await relay.drain();
      await drainReverseSync(reverseSync(), undefined, 30_000);

      const all = [...[...toggles.values()].flat(), ...done];
      expect(all.filter((a) => a.status >= 300).map((a) => [a.status, a.body])).toEqual([]);
      const sources = (acks: Ack[]) => acks.map((a) => a.source);
      const approvalSources = [...toggles.values()].flatMap(sources);
      // The group wrote to Postgres, then Convex, then Postgres again; story_done never moved.
      expect(approvalSources.filter((s) => s === 'convex').length).toBeGreaterThan(0);
      expect(toggles.get(1)!.at(-1)!.source).toBe('postgres');
      expect(new Set(sources(done))).toEqual(new Set(['postgres']));
      expect([rollback.changed, rollback.drain]).toEqual([true, { drained: true, pending: 0, deadLetters: 0 }]);

      for (const u of EDITORS) {
        const actions = toggles.get(u)!.map((a) => a.body.action);
        const expected = actions.map((_, i) =>
          (i % 2 === 0) === initial.get(u) ? 'removed' : 'added',
        );
        expect(actions, `editor ${u}'s toggles alternate`).toEqual(expected);
        const approvedNow = initial.get(u) !== (actions.length % 2 === 1);
        expect(await approvedAtStart(u), `editor ${u}'s approval in Postgres`).toBe(approvedNow);
        const inConvex = (await convex.documents('story_approval')).some(
          (d) => d.user_id === u && d.story_id === storyOf.get(u),
        );
        expect(inConvex, `editor ${u}'s approval in Convex`).toBe(approvedNow);
      }
      const acked = done.map((a) => a.body.id as number).sort((a, b) => a - b);
      const created = (
        await db.pool.query<{ id: number }>('SELECT id FROM story_done ORDER BY id')
      ).rows
        .map((r) => r.id)
        .filter((id) => !doneBefore.has(id));
      expect(created).toEqual(acked);

      await expectConvexEqualsPostgres(db.pool, convex);
      expect(await checkInvariantsPostgres(db.pool)).toEqual([]);
      expect(await checkInvariantsConvex(convex)).toEqual([]);
      const dead = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM tandem.reverse_sync_dead_letter) AS reverse,
              (SELECT count(*)::int FROM tandem.outbox WHERE status <> 'done') AS forward`,
      );
      expect(dead.rows[0]).toEqual({ reverse: 0, forward: 0 });
      console.log(
        `[${backend}] writes: ${all.length} acknowledged (${approvalSources.filter((s) => s === 'convex').length} in Convex); ` +
          `pause: cutover ${forwardPauseMs.toFixed(0)} ms, rollback ${rollback.pauseMs.toFixed(0)} ms`,
      );
    },
  );
});
