/**
 * The flag store and its clients on each backend: changes are audited,
 * refused or invalid ones change nothing, a rollback reaches two running
 * clients within a second (waited for with a deadline), clients keep the last
 * known stages while the store is unreachable, and the emergency override
 * forces postgres with no database at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listReadStages,
  readStageHistory,
  rollbackReadStages,
  setReadStage,
} from '../../src/cutover/flagStore.js';
import { ReadFlags } from '../../src/cutover/readFlags.js';
import { migrate } from '../../src/postgres/migrate.js';
import { waitFor } from './waitFor.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const TABLES = ['customer', 'orders', 'line'];

describe.each(backends)('read flags [%s]', (backend) => {
  let db: TestDatabase;
  const as = { actor: 'test', why: 'testing' };

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('lists every table at postgres before anything is set', async () => {
    expect(await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, TABLES)).toEqual(TABLES.map((table) => ({ table, stage: 'postgres', percent: 0 })));
  });

  it('moves a table step by step and audits every change', async () => {
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { ...as, table: 'orders', stage: 'shadow', why: 'compare first' });
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { ...as, table: 'orders', stage: 'convex-percent', percent: 5 });
    await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { ...as, table: 'orders', stage: 'convex-percent', percent: 12.5 });
    expect(await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, TABLES)).toEqual([
      { table: 'customer', stage: 'postgres', percent: 0 },
      { table: 'orders', stage: 'convex-percent', percent: 12.5 },
      { table: 'line', stage: 'postgres', percent: 0 },
    ]);
    const history = await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'orders');
    expect(history.map((h) => [h.from, h.to, h.actor, h.why, h.forced, h.rule])).toEqual([
      [{ stage: 'postgres', percent: 0 }, { stage: 'shadow', percent: 0 }, 'test', 'compare first', false, null],
      [{ stage: 'shadow', percent: 0 }, { stage: 'convex-percent', percent: 5 }, 'test', 'testing', false, null],
      [{ stage: 'convex-percent', percent: 5 }, { stage: 'convex-percent', percent: 12.5 }, 'test', 'testing', false, null],
    ]);
  });

  it('refuses bad input and refused moves, writing nothing', async () => {
    const before = [await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, TABLES), await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA)];
    const cases: Array<[Parameters<typeof setReadStage>[3], string]> = [
      [{ ...as, table: 'nope', stage: 'shadow' }, 'table: "nope" is not a mirrored table (known: customer, orders, line)'],
      [{ ...as, table: 'line', stage: 'sideways' }, 'stage: unknown stage "sideways" (one of postgres, shadow, convex-internal, convex-percent, convex)'],
      [{ ...as, table: 'line', stage: 'convex-percent', percent: 101, force: true }, 'percent: must be a number from 0 to 100 (got 101)'],
      [{ ...as, table: 'line', stage: 'shadow', why: '  ' }, 'why: say why the stage changes'],
      [{ ...as, table: 'line', stage: 'convex' }, 'stage: line: postgres → convex skips shadow; pass --force'],
      [{ ...as, table: 'orders', stage: 'convex-percent', percent: 12.5 }, 'stage: orders: already at convex-percent 12.5 %'],
    ];
    for (const [request, message] of cases)
      await expect(setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, request), message).rejects.toThrow(message);
    await expect(rollbackReadStages(db.pool, DEFAULT_TOOL_SCHEMA, ['nope'], TABLES, as)).rejects.toThrow('table: "nope" is not a mirrored table');
    await expect(rollbackReadStages(db.pool, DEFAULT_TOOL_SCHEMA, 'all', TABLES, { actor: 'x', why: '' })).rejects.toThrow('why: say why');
    expect([await listReadStages(db.pool, DEFAULT_TOOL_SCHEMA, TABLES), await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA)]).toEqual(before);
  });

  it('a forced skip is done and audited as forced', async () => {
    const change = await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { ...as, table: 'line', stage: 'convex', force: true });
    expect(change).toEqual({ table: 'line', from: { stage: 'postgres', percent: 0 }, to: { stage: 'convex', percent: 100 }, forced: true });
    expect((await readStageHistory(db.pool, DEFAULT_TOOL_SCHEMA, 'line')).at(-1)!.forced).toBe(true);
  });

  it('a rollback reaches two running clients within a second', async () => {
    const [a, b] = await Promise.all([
      ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool }),
      ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: db.pool }),
    ]);
    try {
      expect([a.stageOf('orders').stage, b.stageOf('line').stage]).toEqual(['convex-percent', 'convex']);
      const salt = a.stageOf('orders').salt;
      expect(b.stageOf('orders').salt).toBe(salt);
      const heard: string[] = [];
      b.onChange((changes) => heard.push(...changes.map((c) => `${c.table}:${c.after.stage}`)));
      const changes = await rollbackReadStages(db.pool, DEFAULT_TOOL_SCHEMA, 'all', TABLES, { actor: 'test', why: 'incident' });
      expect(changes.map((c) => c.table)).toEqual(['line', 'orders']);
      const back = (f: ReadFlags) => f.stageOf('orders').stage === 'postgres' && f.stageOf('line').stage === 'postgres';
      await waitFor(() => back(a) && back(b), 1000, 'both clients at postgres');
      expect(heard.sort()).toEqual(['line:postgres', 'orders:postgres']);
      // The salt outlives the rollback: a new ramp selects the same users first.
      await setReadStage(db.pool, DEFAULT_TOOL_SCHEMA, TABLES, { ...as, table: 'orders', stage: 'shadow' });
      await a.refresh();
      expect(a.stageOf('orders')).toEqual({ stage: 'shadow', percent: 0, salt });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps the last known stages while the store is unreachable', async () => {
    // A pool of its own, ended under the client: every later query fails.
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const flags = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool, listen: false, pollMs: 20 });
    try {
      expect(flags.stageOf('orders').stage).toBe('shadow');
      await pool.end();
      await waitFor(() => !flags.reachable, 1000, 'the client notices the store is gone');
      expect(flags.stageOf('orders').stage).toBe('shadow');
    } finally {
      await flags.close();
    }
  });
});

describe('emergency override with no database', () => {
  // Nothing listens on this port: every query fails to connect.
  const deadPool = () => new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });

  it('forces every table, or the named ones, to postgres from the environment', async () => {
    const all = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: deadPool(), override: { forcePostgres: 'all' }, listen: false });
    const some = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: null, override: { forcePostgres: ['orders'] } });
    try {
      expect(all.reachable).toBe(false);
      expect([all.stageOf('orders').stage, all.isForced('anything')]).toEqual(['postgres', true]);
      expect([some.isForced('orders'), some.isForced('line')]).toEqual([true, false]);
    } finally {
      await Promise.all([all.close(), some.close()]);
    }
  });

  it('a file created on a live process forces postgres within a second, and removing it lifts it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-override-'));
    const file = path.join(dir, 'force-postgres');
    const flags = await ReadFlags.start({ tool: DEFAULT_TOOL_SCHEMA, pool: deadPool(), override: { file }, listen: false });
    try {
      expect(flags.isForced('orders')).toBe(false);
      fs.writeFileSync(file, 'orders, line\n');
      await waitFor(() => flags.isForced('orders') && flags.isForced('line'), 1000, 'file override seen');
      expect(flags.isForced('customer')).toBe(false);
      fs.writeFileSync(file, '');
      await waitFor(() => flags.isForced('customer'), 1000, 'an empty file forces every table');
      fs.rmSync(file);
      await waitFor(() => !flags.isForced('orders'), 1000, 'override lifted');
    } finally {
      await flags.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
