/**
 * `tandem flags` and `tandem shadow report` through the CLI on an application
 * that is not the story site (the shop schema): the discovered tables, the
 * audit trail, and exit 2 with nothing changed on every kind of bad input.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { SHOP_DDL } from '../discovery/shopSchema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/tandem.js');
const run = promisify(execFile);

describe('tandem flags on the shop schema [pglite]', () => {
  let db: TestDatabase;
  let dir: string;
  const tandem = (args: string[]) =>
    run(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: db.url, TANDEM_LOG_LEVEL: 'silent', TANDEM_CONFIG: '' },
    });
  const refused = (args: string[]) =>
    tandem(args).then(
      (ok) => {
        throw new Error(`expected a failure, got ${JSON.stringify(ok)}`);
      },
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
  const list = async () => JSON.parse((await tandem(['flags', 'list', '--json'])).stdout);

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    await db.pool.query(SHOP_DDL);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-flags-'));
    fs.writeFileSync(path.join(dir, 'tandem.config.json'), JSON.stringify({ schema: 'shop' }));
    await tandem(['init']);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the discovered tables, moves one, rolls back, and shows the history', async () => {
    expect(await list()).toEqual(
      ['customer', 'reading', 'orders', 'line'].map((table) => ({ table, stage: 'postgres', percent: 0 })),
    );
    expect((await tandem(['flags', 'set', 'orders', 'shadow', '--why', 'compare'])).stdout).toBe('orders: postgres → shadow\n');
    expect((await tandem(['flags', 'set', 'orders', 'convex-percent', '--percent', '25', '--why', 'ramp'])).stdout).toBe(
      'orders: shadow → convex-percent 25 %\n',
    );
    expect((await tandem(['flags', 'set', 'line', 'convex-internal', '--force', '--why', 'staff only'])).stdout).toBe(
      'line: postgres → convex-internal (forced)\n',
    );
    expect((await tandem(['flags', 'rollback', '--all', '--why', 'incident 12'])).stdout).toBe(
      'line: convex-internal → postgres\norders: convex-percent 25 % → postgres\n',
    );
    expect((await tandem(['flags', 'rollback', 'orders', '--why', 'again'])).stdout).toBe('orders already reads postgres\n');
    const history = JSON.parse((await tandem(['flags', 'history', 'orders', '--json'])).stdout);
    expect(history.map((h: { from: { stage: string }; to: { stage: string; percent: number }; why: string }) => [h.from.stage, h.to.stage, h.to.percent, h.why])).toEqual([
      ['postgres', 'shadow', 0, 'compare'],
      ['shadow', 'convex-percent', 25, 'ramp'],
      ['convex-percent', 'postgres', 0, 'incident 12'],
    ]);
    expect(history[0].actor).toMatch(/\(cli\)$/);
  }, 120_000);

  it('bad input exits 2 with a clear message and changes nothing', async () => {
    const before = [await list(), (await tandem(['flags', 'history', '--json'])).stdout];
    const cases: Array<[string[], string]> = [
      [['flags', 'set', 'nope', 'shadow', '--why', 'x'], 'tandem: table: "nope" is not a mirrored table (known: customer, reading, orders, line)\n'],
      [['flags', 'set', 'orders', 'sideways', '--why', 'x'], 'tandem: stage: unknown stage "sideways" (one of postgres, shadow, convex-internal, convex-percent, convex)\n'],
      [['flags', 'set', 'orders', 'convex-percent', '--percent', '150', '--force', '--why', 'x'], 'tandem: percent: must be a number from 0 to 100 (got 150)\n'],
      [['flags', 'set', 'orders', 'convex-percent', '--percent', 'lots', '--force', '--why', 'x'], 'tandem: percent: not a number: "lots"\n'],
      [['flags', 'set', 'orders', 'convex', '--why', 'x'], 'tandem: stage: orders: postgres → convex skips shadow; pass --force to do it anyway (audited)\n'],
      [['flags', 'set', 'orders', 'shadow'], 'tandem: why: say why the stage changes (--why "…"); it is recorded in the audit log\n'],
      [['flags', 'rollback', '--why', 'x'], 'tandem: table: give one table, or --all\n'],
      [['flags', 'rollback', 'nope', '--why', 'x'], 'tandem: table: "nope" is not a mirrored table (known: customer, reading, orders, line)\n'],
    ];
    for (const [args, message] of cases) {
      const err = await refused(args);
      expect([args.join(' '), err.code, err.stderr]).toEqual([args.join(' '), 2, message]);
    }
    expect([await list(), (await tandem(['flags', 'history', '--json'])).stdout]).toEqual(before);
  }, 120_000);

  it('shadow report is empty before any shadow read', async () => {
    expect(JSON.parse((await tandem(['shadow', 'report', '--json'])).stdout)).toEqual({ tables: {}, aa: {} });
  }, 60_000);

  it('shadow report prints each class and the reads skipped uncompared, which compared leaves out', async () => {
    await db.pool.query(`INSERT INTO tandem.shadow_count (table_name, mode, class, count)
                         VALUES ('orders', 'ab', 'match', 3), ('orders', 'ab', 'drift', 1), ('orders', 'ab', 'skipped', 2)`);
    expect((await tandem(['shadow', 'report', '--samples', '0'])).stdout).toBe(
      'Postgres vs Convex\ntable\tcompared\tmatch\tlag\tdrift\terror\tskipped\norders\t4\t3\t0\t1\t0\t2\n',
    );
  }, 60_000);
});
