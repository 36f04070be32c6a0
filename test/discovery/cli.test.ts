/**
 * The commands on an application that is not the story site, driven only
 * through the CLI and a config file: plan, capture install and status report
 * the tables they skip; a bad config stops with exit 2 before anything is
 * installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseTable } from '../../src/capture/index.js';
import { refusedTandem, runTandem } from '../support/cliRun.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { SHOP_DDL } from './shopSchema.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('tandem CLI on another application [%s]', (backend) => {
  let db: TestDatabase;
  let dir: string;

  const tandem = (args: string[]) => runTandem(dir, db.url, args);
  const refused = (args: string[]) => refusedTandem(dir, db.url, args);
  const writeConfig = (value: object) =>
    fs.writeFileSync(path.join(dir, 'tandem.config.json'), JSON.stringify(value));
  const capturedTables = async () =>
    (
      await db.pool.query<{ t: string }>(
        `SELECT c.relname AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
          WHERE g.tgname = 'tandem_capture' ORDER BY 1`,
      )
    ).rows.map((r) => r.t);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(SHOP_DDL);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-shop-'));
    await tandem(['init']);
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plans every keyed table of the configured schema and lists the skipped ones', async () => {
    writeConfig({ schema: 'shop' });
    const { stdout } = await tandem(['plan', '--json']);
    const plan = JSON.parse(stdout);
    expect(plan.order).toEqual(['customer', 'reading', 'orders', 'line']);
    expect(plan.skipped.map((s: { table: string }) => s.table)).toEqual(['event', 'page_view']);
    const text = (await tandem(['plan'])).stdout;
    expect(text).toContain(
      'skipped (not mirrored):\n' +
        '  event: no primary key: name the columns of a unique NOT NULL index in keys.event to mirror it\n' +
        '  page_view: no primary key: name the columns of a unique NOT NULL index in keys.page_view to mirror it\n',
    );
  });

  it('a bad config is refused with exit 2, naming the file and key, and installs nothing', async () => {
    const file = path.join(dir, 'tandem.config.json');
    writeConfig({ schema: 'shop', exclude: ['reading'], tabels: ['x'] });
    expect(await refused(['capture', 'install'])).toMatchObject({
      code: 2,
      stderr: `tandem: ${file}: (root): unknown key "tabels" (not a setting)\n`,
    });
    writeConfig({ schema: 'shop', include: ['customer', 'ghost'] });
    expect(await refused(['capture', 'install'])).toMatchObject({
      code: 2,
      stderr: `tandem: ${file}: include: table shop.ghost does not exist (or is not an ordinary or partitioned table)\n`,
    });
    writeConfig({ schema: 'shop', keys: { page_view: ['path'] } });
    expect(await refused(['capture', 'install'])).toMatchObject({
      code: 2,
      stderr: `tandem: ${file}: keys.page_view: no unique index or constraint on page_view covers exactly (path)\n`,
    });
    expect(await capturedTables()).toEqual([]);
  });

  it('captures every keyed table (a key named in the config too), skips the rest and says so', async () => {
    writeConfig({ schema: 'shop', exclude: ['reading'], keys: { event: ['source', 'seq'] } });
    const { stdout } = await tandem(['capture', 'install']);
    expect(stdout).toBe(
      [
        'installed  customer  (key code)',
        'installed  event  (key source,seq)',
        'installed  orders  (key id)',
        'installed  line  (key order_id,line_no)',
        'skipped    page_view  (no primary key: name the columns of a unique NOT NULL index in keys.page_view to mirror it)',
        '',
      ].join('\n'),
    );
    expect(await capturedTables()).toEqual(['customer', 'event', 'line', 'orders']);
    await db.pool.query(`INSERT INTO shop.event VALUES ('pos', 3, 'x')`);
    const { rows } = await db.pool.query(`SELECT table_name, key FROM tandem.outbox ORDER BY seq`);
    expect(rows).toEqual([{ table_name: 'event', key: '["pos","3"]' }]);
    const status = JSON.parse((await tandem(['status', '--json'])).stdout);
    expect(status.tables.map((t: { table: string; capture: string }) => [t.table, t.capture])).toEqual([
      ['customer', 'enabled'],
      ['event', 'enabled'],
      ['orders', 'enabled'],
      ['line', 'enabled'],
    ]);
    expect(status.skipped.map((s: { table: string }) => s.table)).toEqual(['page_view']);
  });

  it('status shows a column change, and a pause with its reason; capture install resumes the table', async () => {
    await db.pool.query(`ALTER TABLE shop.customer ADD COLUMN phone text`);
    const reason =
      'schema of "customer" changed under capture: column(s) added phone; run codegen, deploy Convex, then `tandem capture install`';
    expect((await tandem(['status'])).stdout).toContain(`\nchanged    customer  (${reason})\n`);
    // What a relay does when it meets the change (the CLI relay needs a Convex deployment).
    expect(
      await pauseTable(db.pool, DEFAULT_TOOL_SCHEMA, {
        table: 'customer',
        reason,
        detail: { added: ['phone'], dropped: [], retyped: [], tableMissing: false },
        seenResume: (await db.pool.query('SELECT max(resumed_at)::text AS m FROM tandem.table_pause')).rows[0].m,
      }),
    ).toBe('paused');
    const paused = (await tandem(['capture', 'status'])).stdout.split('\n');
    expect(paused.find((l) => l.startsWith('customer'))).toMatch(/^customer\s+paused\s+code\s/);
    expect(paused).toContain(`paused     customer  (${reason})`);
    const json = JSON.parse((await tandem(['status', '--json'])).stdout);
    expect(json.tables[0].paused).toMatchObject({ table: 'customer', reason, detail: { added: ['phone'] } });

    await tandem(['capture', 'install', '--tables', 'customer']);
    const after = JSON.parse((await tandem(['status', '--json'])).stdout);
    expect(after.tables.map((t: { table: string; paused: unknown; shapeChange: unknown }) => [t.table, t.paused, t.shapeChange])).toEqual([
      ['customer', null, null],
      ['event', null, null],
      ['orders', null, null],
      ['line', null, null],
    ]);
    const { rows } = await db.pool.query(
      `SELECT action, target FROM tandem.audit_log WHERE action IN ('relay.pause', 'capture.resume') ORDER BY id`,
    );
    expect(rows).toEqual([
      { action: 'relay.pause', target: 'customer' },
      { action: 'capture.resume', target: 'customer' },
    ]);
  });
});
