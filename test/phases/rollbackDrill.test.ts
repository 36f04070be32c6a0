/**
 * `tandem drill rollback` on a second application (a ledger), with two
 * running instances (two ReadFlags, each on a pool of its own): with both
 * live the drill passes, times each instance both ways, restores the stage
 * and meets the `rollback-drill` gate without resetting the
 * `reads-convex-held` clock; with one cut off from the store it fails naming
 * that one; a stage changed during the drill is left alone; bad input
 * changes nothing.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { listReadInstances } from '../../src/cutover/instances.js';
import { listReadStages, readStageHistory, setReadStage } from '../../src/cutover/flagStore.js';
import { ReadFlags } from '../../src/cutover/readFlags.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { checklist, rollbackDrill, ROLLBACK_DRILL_RULE } from '../../src/phases/index.js';
import { createPool } from '../../src/postgres/database.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const LEDGER_DDL = `
CREATE SCHEMA ledger;
CREATE TABLE ledger.account (code text PRIMARY KEY, holder varchar(80) NOT NULL, balance numeric NOT NULL);
CREATE TABLE ledger.entry (
  account_code text NOT NULL REFERENCES ledger.account (code), line int NOT NULL, amount numeric NOT NULL,
  PRIMARY KEY (account_code, line)
);`;

const backends = await availableBackends();
const DAY = 86_400_000;

describe.each(backends)('rollback drill on a ledger [%s]', (backend) => {
  let db: TestDatabase;
  let mirror: MirrorConfig;
  let tables: string[];
  const as = { actor: 'test', why: 'ramp' };
  const started: Array<{ flags: ReadFlags; pool: pg.Pool; id: string }> = [];

  /** A running instance: its own pool, as another process would have. */
  async function startInstance(label: string) {
    const pool = createPool(db.url, 3);
    const flags = await ReadFlags.start({ pool, tool: DEFAULT_TOOL_SCHEMA, instance: { label, heartbeatMs: 100 } });
    const instance = { flags, pool, id: flags.instanceId! };
    started.push(instance);
    return instance;
  }
  const gate = async (name: string, table: string, now = new Date()) =>
    (await checklist(db.pool, DEFAULT_TOOL_SCHEMA, mirror, [table], { now }))[0]!.gates.find((g) => g.gate === name)!;
  const evidenceCount = async () =>
    Number((await db.pool.query(`SELECT count(*) AS n FROM tandem.phase_evidence`)).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(LEDGER_DDL);
    mirror = (await discoverMirror(db.pool, parseProjectConfig({ schema: 'ledger' }, null))).mirror;
    tables = mirror.tables.map((t) => t.name);
  });
  afterAll(async () => {
    for (const { flags, pool } of started) {
      await flags.close();
      await pool.end().catch(() => undefined);
    }
    await db?.close();
  });

  it('refuses an unknown table, a table not on a Convex stage, and a drill with no instance, writing nothing', async () => {
    const before = [await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA), await evidenceCount()];
    await expect(rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'nope')).rejects.toThrow(
      `table: "nope" is not a mirrored table (known: ${tables.join(', ')})`,
    );
    await expect(rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account')).rejects.toThrow(
      'table: account reads from postgres: a rollback drill needs it on a Convex read stage (convex-internal, convex-percent, convex)',
    );
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, tables, { ...as, table: 'account', stage: 'shadow' });
    await expect(rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account')).rejects.toThrow(
      'table: account reads from shadow: a rollback drill needs it on a Convex read stage',
    );
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, tables, { ...as, table: 'account', stage: 'convex-percent', percent: 25 });
    await expect(rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account')).rejects.toThrow(
      'instances: no running instance holds the read stages (none beat within 5000 ms)',
    );
    const history = await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(history.slice((before[0] as unknown[]).length).map((h) => h.to.stage)).toEqual(['shadow', 'convex-percent']);
    expect(await evidenceCount()).toBe(before[1]);
  });

  it('passes with both instances live: each timed both ways, the stage restored, the gate met', async () => {
    const [a, b] = [await startInstance('app-a'), await startInstance('app-b')];
    const seen: string[] = [];
    b.flags.onChange((changes) => seen.push(...changes.map((c) => c.after.stage)));
    expect((await gate('rollback-drill', 'account')).evidence).toBe(
      'no rollback drill recorded: run tandem drill rollback account',
    );

    const result = await rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { timeoutMs: 3000 });

    expect(result.passed).toBe(true);
    expect(result.restored).toBe(true);
    expect(result.stage).toEqual({ stage: 'convex-percent', percent: 25 });
    expect(result.notFollowed).toEqual([]);
    expect(result.instances.map((i) => [i.id, i.label]).sort()).toEqual(
      [
        [a.id, 'app-a'],
        [b.id, 'app-b'],
      ].sort(),
    );
    for (const i of result.instances) {
      expect(i.pid).toBe(process.pid);
      for (const ms of [i.toPostgresMs, i.backMs]) {
        expect(ms).not.toBeNull();
        expect(ms!).toBeGreaterThanOrEqual(0);
        expect(ms!).toBeLessThan(3000);
      }
    }
    expect(result.slowestMs).toBe(Math.max(...result.instances.flatMap((i) => [i.toPostgresMs!, i.backMs!])));
    // Both instances served postgres in between, and are back where they were.
    expect(seen).toEqual(['postgres', 'convex-percent']);
    expect([a.flags.stageOf('account'), b.flags.stageOf('account')].map((s) => [s.stage, s.percent])).toEqual([
      ['convex-percent', 25],
      ['convex-percent', 25],
    ]);
    expect(await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, ['account'])).toEqual([{ table: 'account', stage: 'convex-percent', percent: 25 }]);
    const drillRows = (await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'account')).slice(-2);
    expect(drillRows.map((h) => [h.from.stage, h.to.stage, h.to.percent, h.rule, h.forced])).toEqual([
      ['convex-percent', 'postgres', 0, ROLLBACK_DRILL_RULE, false],
      ['postgres', 'convex-percent', 25, ROLLBACK_DRILL_RULE, true],
    ]);
    const met = await gate('rollback-drill', 'account');
    expect(met.met).toBe(true);
    expect(met.evidence).toMatch(
      /^rollback drill passed: 2 instance\(s\) followed to postgres and back to convex-percent 25 %, slowest \d+ ms$/,
    );
  });

  it("does not count as a rollback against the reads-convex-held clock", async () => {
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, tables, { ...as, table: 'entry', stage: 'convex', force: true });
    const since = (await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'entry')).at(-1)!.at;
    const result = await rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'entry', { timeoutMs: 3000 });
    expect(result.passed).toBe(true);
    const held = await gate('reads-convex-held', 'entry', new Date(Date.parse(since) + 8 * DAY));
    expect(held.met).toBe(true);
    expect(held.evidence).toBe(`reads on convex since ${since}, no rollback`);
  });

  it('fails naming the instance that did not follow; the live one is timed and the stage restored', async () => {
    const [live, cut] = started.slice(0, 2);
    // Cut off from the store with its heartbeat still fresh: a process that is up but cannot follow.
    await cut!.pool.end();
    const result = await rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { timeoutMs: 800 });

    expect(result.passed).toBe(false);
    expect(result.restored).toBe(true);
    expect(result.notFollowed).toEqual([`${cut!.id} (app-b)`]);
    const byId = new Map(result.instances.map((i) => [i.id, i]));
    expect(byId.get(cut!.id)).toMatchObject({ toPostgresMs: null, backMs: null });
    expect(byId.get(live!.id)!.toPostgresMs).not.toBeNull();
    expect(byId.get(live!.id)!.backMs).not.toBeNull();
    expect(await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, ['account'])).toEqual([{ table: 'account', stage: 'convex-percent', percent: 25 }]);
    const failed = await gate('rollback-drill', 'account');
    expect(failed.met).toBe(false);
    expect(failed.evidence).toContain(`1 of 2 instance(s) did not follow within 800 ms: ${cut!.id} (app-b)`);

    // Once its heartbeat is stale it is no longer running, and the drill passes without it.
    await expect
      .poll(async () => (await listReadInstances(db.pool, DEFAULT_TOOL_SCHEMA, { staleAfterMs: 500 })).find((i) => i.id === cut!.id)?.live, {
        timeout: 3000,
      })
      .toBe(false);
    const again = await rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { timeoutMs: 3000, staleAfterMs: 500 });
    expect([again.passed, again.instances.map((i) => i.id)]).toEqual([true, [live!.id]]);
  });

  it('an instance gone for more than a week is dropped when the next one starts', async () => {
    await db.pool.query(
      `INSERT INTO tandem.read_instance (id, host, pid, heartbeat_at, stopped_at)
       VALUES ('old:1:x', 'old', 1, now() - interval '8 days', now() - interval '8 days'),
              ('recent:2:y', 'recent', 2, now() - interval '6 days', now() - interval '6 days')`,
    );
    await startInstance('pruner');
    const { rows } = await db.pool.query(`SELECT id FROM tandem.read_instance WHERE host IN ('old', 'recent')`);
    expect(rows).toEqual([{ id: 'recent:2:y' }]);
  });

  it('a cleanly closed instance is not waited for', async () => {
    const extra = await startInstance('short-lived');
    expect((await listReadInstances(db.pool, DEFAULT_TOOL_SCHEMA)).find((i) => i.id === extra.id)?.live).toBe(true);
    await extra.flags.close();
    const listed = (await listReadInstances(db.pool, DEFAULT_TOOL_SCHEMA)).find((i) => i.id === extra.id)!;
    expect([listed.live, listed.stoppedAt === null]).toEqual([false, false]);
    const result = await rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', { timeoutMs: 3000, staleAfterMs: 500 });
    expect(result.instances.map((i) => i.id)).not.toContain(extra.id);
    expect(result.passed).toBe(true);
  });

  it('leaves a stage someone changed during the drill alone, and fails saying so', async () => {
    // An operator moves the table to shadow while the drill has reads on postgres (before it moves them back).
    const result = await rollbackDrill(db.pool, DEFAULT_TOOL_SCHEMA, mirror, 'account', {
      timeoutMs: 3000,
      staleAfterMs: 500,
      beforeRestore: async () => {
        await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, tables, { actor: 'operator', why: 'hold on', table: 'account', stage: 'shadow' });
      },
    });
    expect(result.passed).toBe(false);
    expect(result.restored).toBe(false);
    expect(result.evidence.detail.summary).toMatch(/^not restored: stage: account: the stage changed meanwhile \(now shadow, version \d+, expected \d+\)$/);
    expect(await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, ['account'])).toEqual([{ table: 'account', stage: 'shadow', percent: 0 }]);
    expect((await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'account')).at(-1)!.actor).toBe('operator');
  });
});
