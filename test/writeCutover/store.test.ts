/**
 * Write groups and write stages in the tool's schema, on each backend, on an
 * application that is not the story site (the shop schema): groups derived
 * from real outbox transactions and saved; a crossing transaction recorded
 * and reported once; refusals that name every reason and write nothing;
 * --force audited with what it overrode; rollback refused when not drained
 * and done (with the pause measured) when drained; two live WriteFlags
 * clients following a change.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCapture } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { setReadStage } from '../../src/cutover/flagStore.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import {
  checklistGates,
  createWriteCutoverMetrics,
  deriveWriteGroups,
  listRuntimeCrossings,
  readWriteGroups,
  readWriteStageHistory,
  rollbackWriteStage,
  saveWriteGroups,
  scanOutboxTransactions,
  setWriteStage,
  watchCrossings,
  WriteFlags,
  writePathsFromTransactions,
  WriteRollbackRefusedError,
  WriteStageRefusedError,
} from '../../src/index.js';
import { SHOP_DDL } from '../discovery/shopSchema.js';
import { waitFor } from '../cutover/waitFor.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const TABLES = ['customer', 'orders', 'line', 'reading'];
const as = { actor: 'test', why: 'testing' };
const noGates = async () => [];

describe.each(backends)('write groups and stages [%s]', (backend) => {
  let db: TestDatabase;
  let mirror: MirrorConfig;
  const state = async () => [await readWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA), await readWriteStageHistory(db.pool, DEFAULT_TOOL_SCHEMA)];

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(SHOP_DDL);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    mirror = (await discoverMirror(db.pool, parseProjectConfig({ schema: 'shop' }, null))).mirror;
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: TABLES, mirror });
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it('derives the groups from the transactions in the outbox and saves them, audited', async () => {
    await db.pool.query(`BEGIN;
      INSERT INTO shop.orders VALUES (10, 'c1', now());
      INSERT INTO shop.line VALUES (10, 1, 2), (10, 2, 1);
      COMMIT;`);
    await db.pool.query(`INSERT INTO shop.customer VALUES ('c3', 'c@example.com')`);
    const scan = await scanOutboxTransactions(db.pool, DEFAULT_TOOL_SCHEMA, { pageSize: 2 });
    expect(scan.transactions.map((t) => t.tables)).toEqual([['line', 'orders']]);
    const groups = deriveWriteGroups({
      tables: TABLES,
      writePaths: writePathsFromTransactions(scan.transactions),
    });
    expect(groups.map((g) => g.name)).toEqual(['customer', 'line+orders', 'reading']);
    expect(await saveWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA, groups, as)).toEqual({
      added: ['customer', 'line+orders', 'reading'],
      removed: [],
      changed: [],
      unchanged: [],
    });
    expect(
      (await readWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA)).map((g) => [g.name, g.tables, g.stage, g.pausedAt]),
    ).toEqual([
      ['customer', ['customer'], 'postgres', null],
      ['line+orders', ['line', 'orders'], 'postgres', null],
      ['reading', ['reading'], 'postgres', null],
    ]);
    const history = await readWriteStageHistory(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(history.map((h) => [h.group, h.action, h.actor, h.why])).toEqual([
      ['customer', 'groups-saved', 'test', 'testing'],
      ['line+orders', 'groups-saved', 'test', 'testing'],
      ['reading', 'groups-saved', 'test', 'testing'],
    ]);
    // Saving the same groups again changes nothing.
    expect(await saveWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA, groups, as)).toMatchObject({
      unchanged: ['customer', 'line+orders', 'reading'],
    });
    expect(await readWriteStageHistory(db.pool, DEFAULT_TOOL_SCHEMA)).toHaveLength(3);
  });

  it('a transaction writing two groups is recorded and reported once: a log line and a metric', async () => {
    await db.pool.query(`BEGIN;
      INSERT INTO shop.customer VALUES ('c4', 'd@example.com');
      INSERT INTO shop.reading VALUES (7, 1, 0.25);
      COMMIT;`);
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
    );
    const metrics = createWriteCutoverMetrics(new Registry());
    const found = await watchCrossings(db.pool, DEFAULT_TOOL_SCHEMA, { log, metrics });
    expect(found.map((c) => [c.tables, c.groups, c.source])).toEqual([
      [['customer', 'reading'], ['customer', 'reading'], 'transaction'],
    ]);
    expect(await watchCrossings(db.pool, DEFAULT_TOOL_SCHEMA, { log, metrics })).toEqual([]);
    expect((await metrics.crossings.get()).values.map((v) => [v.labels, v.value])).toEqual([
      [{ groups: 'customer+reading' }, 1],
    ]);
    expect(
      lines.map((l) => JSON.parse(l) as { msg: string; groups: string[]; txid: string }),
    ).toEqual([
      expect.objectContaining({
        msg: 'a transaction wrote tables of more than one write group',
        groups: ['customer', 'reading'],
        txid: found[0]!.txid,
      }),
    ]);
    expect((await listRuntimeCrossings(db.pool, DEFAULT_TOOL_SCHEMA)).map((c) => c.groups)).toEqual([
      ['customer', 'reading'],
    ]);
  });

  it('refuses to move a group whose reads are not on convex, whose gates are unmet, or that a write path crosses; writes nothing', async () => {
    const before = await state();
    const refused = await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'customer',
      stage: 'convex',
      gates: checklistGates(db.pool, DEFAULT_TOOL_SCHEMA, mirror),
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WriteStageRefusedError);
    const err = refused as WriteStageRefusedError;
    expect(err.refusals.map((r) => r.reason)).toEqual([
      'reads-not-convex',
      'gates-unmet',
      'crossing',
    ]);
    expect(err.refusals[0]!.message).toBe('reads are not on convex: customer reads at postgres');
    expect(err.refusals[1]!.message).toMatch(
      /^gates unmet: customer backfill-complete \(backfill is not started: run tandem backfill\); customer idempotency-drill/,
    );
    expect(err.refusals[1]!.message).not.toContain('capture-on');
    expect(err.refusals[2]!.message).toMatch(
      /^write paths cross groups: txid \d+ \(transaction\) writes customer, reading in groups customer, reading$/,
    );
    expect(err.message).toMatch(
      /^stage: customer: postgres → convex refused: reads are not on convex: customer reads at postgres; gates unmet: .*; pass --force --reason "…" to do it anyway \(audited\)$/,
    );
    // An inventory path crossing is named as well.
    const inventory = [
      {
        name: 'app/sync.ts:POST (POST)',
        tables: ['orders', 'customer'],
        source: 'inventory' as const,
      },
    ];
    const withPath = (await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'line+orders',
      stage: 'convex-shadow',
      gates: noGates,
      writePaths: inventory,
    }).catch((e: unknown) => e)) as WriteStageRefusedError;
    expect(withPath.refusals.map((r) => r.message)).toEqual([
      'reads are not on convex: line reads at postgres, orders reads at postgres',
      'write paths cross groups: app/sync.ts:POST (POST) (inventory) writes customer, orders in groups customer, line+orders',
    ]);
    const bad: Array<[Parameters<typeof setWriteStage>[2], string]> = [
      [
        { ...as, group: 'nope', stage: 'convex', gates: noGates },
        'group: "nope" is not a saved write group (known: customer, line+orders, reading)',
      ],
      [
        { ...as, group: 'customer', stage: 'sideways', gates: noGates },
        'stage: unknown write stage "sideways" (one of postgres, convex-shadow, convex)',
      ],
      [{ ...as, group: 'customer', stage: 'convex', why: ' ', gates: noGates }, 'why: say why'],
      [
        { ...as, group: 'customer', stage: 'postgres', gates: noGates },
        'stage: customer: postgres → postgres refused: already at postgres',
      ],
    ];
    for (const [request, message] of bad)
      await expect(setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, request), message).rejects.toThrow(message);
    expect(await state()).toEqual(before);
  });

  it('moves a group whose preconditions hold, step by step, and audits each move', async () => {
    for (const table of ['orders', 'line'])
      await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, {
        table,
        stage: 'convex',
        force: true,
        actor: 'test',
        why: 'reads moved',
      });
    const shadow = await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'line+orders',
      stage: 'convex-shadow',
      gates: noGates,
      why: 'try convex',
    });
    expect(shadow).toEqual({
      group: 'line+orders',
      from: 'postgres',
      to: 'convex-shadow',
      forced: false,
      overridden: [],
    });
    await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'line+orders',
      stage: 'convex',
      gates: noGates,
      why: 'shadow clean',
    });
    // Convex → Postgres only through rollback, which drains first.
    await expect(
      setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, { ...as, group: 'line+orders', stage: 'postgres', gates: noGates }),
    ).rejects.toThrow(
      'stage: line+orders: convex → postgres refused: Convex is the writer; moving it back drains reverse sync first (use tandem flags rollback line+orders --writes)',
    );
    const history = (await readWriteStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'line+orders')).filter(
      (h) => h.action === 'set',
    );
    expect(history.map((h) => [h.from, h.to, h.actor, h.why, h.forced, h.refusals])).toEqual([
      ['postgres', 'convex-shadow', 'test', 'try convex', false, null],
      ['convex-shadow', 'convex', 'test', 'shadow clean', false, null],
    ]);
    // A group at convex keeps its tables through a save; changing them is refused.
    const before = await state();
    await expect(
      saveWriteGroups(
        db.pool, DEFAULT_TOOL_SCHEMA,
        [
          { name: 'line+orders', tables: ['line', 'orders', 'reading'], writePaths: [] },
          { name: 'customer', tables: ['customer'], writePaths: [] },
        ],
        as,
      ),
    ).rejects.toThrow(
      'groups: group line+orders writes at convex; the new groups would change its tables to line, orders, reading: roll its writes back to postgres first',
    );
    expect(await state()).toEqual(before);
  });

  it('a forced move is done and audited with the reasons it overrode', async () => {
    const change = await setWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'customer',
      stage: 'convex-shadow',
      gates: noGates,
      force: true,
      why: 'incident drill',
    });
    expect([change.forced, change.overridden.map((r) => r.reason)]).toEqual([
      true,
      ['reads-not-convex', 'crossing'],
    ]);
    const last = (await readWriteStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'customer')).at(-1)!;
    expect([
      last.action,
      last.from,
      last.to,
      last.forced,
      last.why,
      last.refusals?.map((r) => r.reason),
    ]).toEqual([
      'set',
      'postgres',
      'convex-shadow',
      true,
      'incident drill',
      ['reads-not-convex', 'crossing'],
    ]);
    // From convex-shadow Postgres never stopped writing: back to postgres is a plain move.
    const back = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
      ...as,
      group: 'customer',
      drain: { drain: () => Promise.reject(new Error('not called')) },
    });
    expect([back.changed, back.from, back.drain]).toEqual([true, 'convex-shadow', null]);
  });

  it('rollback refuses to switch when reverse sync does not drain or left dead letters of the group, and switches after draining, measuring the pause', async () => {
    const flags = [
      await WriteFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, pollMs: 50 }),
      await WriteFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, pollMs: 50 }),
    ];
    try {
      await waitFor(
        () => flags.every((f) => f.stageOf('line+orders') === 'convex'),
        2000,
        'clients see convex',
      );
      const before = await state();
      const calls: Array<[string, number, boolean[]]> = [];
      const stuck = {
        async drain(group: string, deadlineMs: number) {
          await waitFor(() => flags.every((f) => f.isPaused(group)), 2000, 'clients see the pause');
          calls.push([group, deadlineMs, flags.map((f) => f.isPaused(group))]);
          return { drained: false, pending: 3 };
        },
      };
      const refused = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        ...as,
        group: 'line+orders',
        drain: stuck,
        deadlineMs: 500,
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WriteRollbackRefusedError);
      expect((refused as Error).message).toMatch(
        /^drain: line\+orders: reverse sync did not drain in time \(3 change\(s\) still pending\); writes stay on convex, resumed after \d+ ms$/,
      );
      expect(calls).toEqual([['line+orders', 500, [true, true]]]);
      const after = await state();
      expect(after[1]).toEqual(before[1]);
      expect(
        (after[0] as Awaited<ReturnType<typeof readWriteGroups>>).map((g) => [
          g.name,
          g.stage,
          g.pausedAt,
        ]),
      ).toEqual(
        (before[0] as Awaited<ReturnType<typeof readWriteGroups>>).map((g) => [
          g.name,
          g.stage,
          null,
        ]),
      );
      await waitFor(() => flags.every((f) => !f.isPaused('line+orders')), 2000, 'pause lifted');

      // Drained, but changes the cursor passed as dead letters never reached Postgres: refused too.
      const dead = { drain: async () => ({ drained: true, pending: 0, deadLetters: 2 }) };
      const deadRefused = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        ...as,
        group: 'line+orders',
        drain: dead,
      }).catch((e: unknown) => e);
      expect(deadRefused).toBeInstanceOf(WriteRollbackRefusedError);
      expect((deadRefused as Error).message).toMatch(
        /^drain: line\+orders: 2 reverse-sync dead letter\(s\) of its tables never reached Postgres \(retry or discard them: tandem reverse-sync dead-letters\); writes stay on convex, resumed after \d+ ms$/,
      );
      const caughtUpRefused = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        ...as,
        group: 'line+orders',
        drain: dead,
        catchUpMs: 1000,
      }).catch((e: unknown) => e);
      expect((caughtUpRefused as Error).message).toBe(
        'drain: line+orders: 2 reverse-sync dead letter(s) of its tables never reached Postgres (retry or discard them: tandem reverse-sync dead-letters); writes stay on convex, resumed after 0 ms',
      );
      expect(
        (await readWriteGroups(db.pool, DEFAULT_TOOL_SCHEMA)).map((g) => [g.name, g.stage, g.pausedAt]),
      ).toEqual((before[0] as Awaited<ReturnType<typeof readWriteGroups>>).map((g) => [g.name, g.stage, null]));
      expect((await state())[1]).toEqual(before[1]);
      await waitFor(() => flags.every((f) => !f.isPaused('line+orders')), 2000, 'pause lifted');

      let clock = 1000;
      const drained = {
        async drain() {
          clock += 120;
          return { drained: true, pending: 0 };
        },
      };
      const result = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        ...as,
        group: 'line+orders',
        drain: drained,
        clock: () => clock,
        why: 'convex incident',
      });
      expect(result).toEqual({
        group: 'line+orders',
        from: 'convex',
        changed: true,
        pauseMs: 120,
        drain: { drained: true, pending: 0 },
      });
      const last = (await readWriteStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'line+orders')).at(-1)!;
      expect([last.action, last.from, last.to, last.pauseMs, last.why, last.detail]).toEqual([
        'rollback',
        'convex',
        'postgres',
        120,
        'convex incident',
        { drained: true, pending: 0 },
      ]);
      await waitFor(
        () =>
          flags.every((f) => f.stageOf('line+orders') === 'postgres' && !f.isPaused('line+orders')),
        2000,
        'clients follow the rollback',
      );
      // Already at postgres: nothing to do, nothing written.
      const again = await rollbackWriteStage(db.pool, DEFAULT_TOOL_SCHEMA, {
        ...as,
        group: 'line+orders',
        drain: drained,
      });
      expect(again).toEqual({
        group: 'line+orders',
        from: 'postgres',
        changed: false,
        pauseMs: 0,
        drain: null,
      });
    } finally {
      await Promise.all(flags.map((f) => f.close()));
    }
  });
});
