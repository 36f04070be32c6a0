/**
 * The phase commands through the CLI on another application (the shop
 * schema): checklist lists every gate, advance moves a table whose gate is met
 * and refuses an unmet one with exit 2 naming it, and bad input changes nothing;
 * drill rollback times a running instance (a ReadFlags in this process) and
 * meets its gate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadFlags } from '../../src/cutover/readFlags.js';
import { createPool } from '../../src/postgres/database.js';
import { GATE_ORDER } from '../../src/phases/index.js';
import { refusedTandem, runTandem } from '../support/cliRun.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { SHOP_DDL } from '../discovery/shopSchema.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('tandem checklist and advance [%s]', (backend) => {
  let db: TestDatabase;
  let dir: string;

  const tandem = (args: string[]) => runTandem(dir, db.url, args);
  const refused = (args: string[]) => refusedTandem(dir, db.url, args);
  const phases = async () =>
    (await db.pool.query(`SELECT table_name, phase FROM tandem.table_phase ORDER BY 1`)).rows;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(SHOP_DDL);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-phases-cli-'));
    fs.writeFileSync(path.join(dir, 'tandem.config.json'), JSON.stringify({ schema: 'shop' }));
    await tandem(['init']);
    await tandem(['capture', 'install', '--tables', 'customer']);
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every gate of every mirrored table with its evidence', async () => {
    const lists = JSON.parse((await tandem(['checklist', '--json'])).stdout);
    expect(lists.map((l: { table: string }) => l.table)).toEqual([
      'customer',
      'reading',
      'orders',
      'line',
    ]);
    const customer = lists[0];
    expect(customer).toMatchObject({
      phase: 'not-mirrored',
      next: 'mirroring',
      unmet: [],
      forced: false,
    });
    expect(customer.gates.map((g: { gate: string }) => g.gate)).toEqual(GATE_ORDER);
    expect(customer.gates[0]).toEqual({
      gate: 'capture-on',
      description: 'capture installed and enabled on the table',
      met: true,
      evidence: 'capture trigger enabled and current',
      metAt: null,
    });
    expect(lists[1].unmet).toEqual(['capture-on']);
    const text = (await tandem(['checklist', 'reading'])).stdout;
    expect(text.split('\n').slice(0, 2)).toEqual([
      'reading\tnot-mirrored\tnext: mirroring (unmet: capture-on)',
      '  [ ] capture-on: capture is absent: run tandem capture install',
    ]);
  });

  it('advances a table whose gate is met and refuses one whose gate is not', async () => {
    expect((await tandem(['advance', 'customer'])).stdout).toBe(
      'customer: not-mirrored -> mirroring\n',
    );
    const failure = await refused(['advance', 'reading']);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(
      'tandem: reading: cannot enter mirroring: capture-on (capture is absent: run tandem capture install)\n',
    );
    expect(await phases()).toEqual([{ table_name: 'customer', phase: 'mirroring' }]);
  });

  it('refuses bad input with exit 2 and changes nothing', async () => {
    for (const [args, message] of [
      [['advance', 'nope'], 'tandem: table: nope is not a mirrored table\n'],
      [
        ['advance', 'customer', '--to', 'shipped'],
        'tandem: to: unknown phase shipped; phases: not-mirrored, mirroring, backfilled, verified, reads-on-convex, writes-on-convex, frozen, archived, decommissioned\n',
      ],
      [
        ['advance', 'customer', '--to', 'verified'],
        'tandem: to: customer: verified is more than one phase ahead of mirroring: advance to backfilled first\n',
      ],
      [['advance', 'customer', '--force'], 'tandem: why: --force needs --why "<reason>"\n'],
      [
        ['advance', 'customer', '--to', 'not-mirrored'],
        'tandem: why: moving customer back to not-mirrored needs --why "<reason>"\n',
      ],
      [['checklist', 'event'], 'tandem: table: event is not a mirrored table\n'],
    ] as const) {
      const failure = await refused([...args]);
      expect(failure.code, args.join(' ')).toBe(2);
      expect(failure.stderr, args.join(' ')).toBe(message);
    }
    expect(await phases()).toEqual([{ table_name: 'customer', phase: 'mirroring' }]);
  });

  it('drill rollback times each running instance, meets the gate, and refuses bad input with exit 2', async () => {
    for (const [args, message] of [
      [['drill', 'rollback', 'nope'], 'tandem: table: "nope" is not a mirrored table (known: customer, reading, orders, line)\n'],
      [
        ['drill', 'rollback', 'reading'],
        'tandem: table: reading reads from postgres: a rollback drill needs it on a Convex read stage (convex-internal, convex-percent, convex)\n',
      ],
    ] as const) {
      const failure = await refused([...args]);
      expect(failure.code, args.join(' ')).toBe(2);
      expect(failure.stderr, args.join(' ')).toBe(message);
    }
    await tandem(['flags', 'set', 'customer', 'convex', '--force', '--why', 'drill test']);
    const pool = createPool(db.url, 2);
    const flags = await ReadFlags.start({ pool, tool: DEFAULT_TOOL_SCHEMA, instance: { label: 'shop-app' } });
    try {
      const out = (await tandem(['drill', 'rollback', 'customer'])).stdout.split('\n');
      expect(out[0]).toMatch(/^customer: 1 instance\(s\) followed to postgres and back to convex, slowest \d+ ms$/);
      expect(out[1]).toMatch(new RegExp(`^  ${flags.instanceId} \\(shop-app\\)\tto postgres: \\d+ ms\tback: \\d+ ms$`));
      const customer = JSON.parse((await tandem(['checklist', 'customer', '--json'])).stdout)[0];
      expect(customer.gates.find((g: { gate: string }) => g.gate === 'rollback-drill').met).toBe(true);
      expect(flags.stageOf('customer').stage).toBe('convex');
    } finally {
      await flags.close();
      await pool.end();
    }
  });
});
