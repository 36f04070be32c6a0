/**
 * A table whose shape changes while capture runs (a column added, dropped or
 * retyped) is paused, not mis-mapped or dead-lettered: its transactions wait in
 * the outbox while the other table keeps flowing, and `capture install`
 * resumes it, after which the relay discovers the mirror again and applies
 * what was held. A value that is bad on its own still goes to dead letters.
 * Runs on its own small schema, not the story site.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureStatus, installCapture, pausedTables } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import type { ApplyResult, MappedChange, TransactionBatch } from '../../src/core/changes.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { silentLogger } from '../../src/log.js';
import { requireTable, type MirrorConfig } from '../../src/mapping/index.js';
import { repairKeys } from '../../src/parity/repair.js';
import { migrate } from '../../src/postgres/migrate.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { FAST_RELAY } from '../support/mirror.js';
import { parityRows } from '../support/readPaths.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const PROJECT = parseProjectConfig({ schema: 'kiosk' }, null);
const DDL = `
CREATE SCHEMA kiosk;
CREATE TABLE kiosk.item (sku text PRIMARY KEY, qty int NOT NULL, label text);
CREATE TABLE kiosk.visit (id int PRIMARY KEY, note text);
`;

/** Convex's versioned apply, in memory: an upsert or delete takes effect only when newer. */
class VersionedStore {
  readonly docs = new Map<string, { version: number; doc: Record<string, unknown> | null }>();
  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    let applied = 0;
    for (const t of transactions)
      for (const c of t.changes as MappedChange[]) {
        const id = `${c.table}:${c.key}`;
        if ((this.docs.get(id)?.version ?? -1) >= c.version) continue;
        this.docs.set(id, { version: c.version, doc: c.op === 'delete' ? null : (c as { doc: Record<string, unknown> }).doc });
        applied += 1;
      }
    return { applied, skipped: 0 };
  }
  table(name: string): Record<string, Record<string, unknown>> {
    const rows: Record<string, Record<string, unknown>> = {};
    for (const [id, { doc }] of this.docs)
      if (id.startsWith(`${name}:`) && doc) rows[id.slice(name.length + 1)] = doc;
    return rows;
  }
}

describe.each(backends)('schema change under capture [%s]', (backend) => {
  let db: TestDatabase;
  let store: VersionedStore;
  let relay: Relay;
  const discover = async (): Promise<MirrorConfig> => (await discoverMirror(db.pool, PROJECT)).mirror;

  const deadLetters = async () =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tandem.dead_letter')).rows[0]!.n;
  const pending = async (table: string) =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending' AND table_name = $1`,
        [table],
      )
    ).rows[0]!.n;
  const audit = async () =>
    (
      await db.pool.query<{ action: string; target: string }>(
        `SELECT action, target FROM tandem.audit_log WHERE action IN ('relay.pause', 'capture.resume') ORDER BY id`,
      )
    ).rows;

  /** Convex (the store) holds exactly the Postgres rows, mapped as parity maps them. */
  async function expectStoreEqualsPostgres(): Promise<void> {
    const mirror = await discover();
    for (const name of ['item', 'visit']) {
      const rows = await parityRows(db.pool, requireTable(mirror, name));
      expect(store.table(name), `rows of ${name}`).toEqual(
        Object.fromEntries([...rows].map(([key, r]) => [key, r.columns])),
      );
    }
  }

  /**
   * Rows nobody wrote since the change still have their old shape in Convex:
   * re-emit them (what `tandem repair` does for the keys parity reports).
   */
  async function repairItems(expectedDrift: string[]): Promise<void> {
    const item = requireTable(await discover(), 'item');
    const rows = await parityRows(db.pool, item);
    const drift = [...rows].filter(([key, r]) => !isDeepStrictEqual(store.table('item')[key], r.columns)).map(([key]) => key);
    expect(drift).toEqual(expectedDrift);
    await repairKeys(db.pool, DEFAULT_TOOL_SCHEMA, item, drift);
    await relay.drain();
  }

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(DDL);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item', 'visit'], mirror: await discover() });
    store = new VersionedStore();
    relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, target: store, schema: { mirror: await discover(), discover }, metrics: createRelayMetrics(), log: silentLogger },
      FAST_RELAY,
    );
    await db.pool.query(`INSERT INTO kiosk.item VALUES ('a', 1, 'apple'), ('b', 2, 'banana')`);
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (1, 'first')`);
    expect(await relay.drain()).toEqual({ applied: 3, retried: 0, dead: 0 });
  });
  afterEach(async () => {
    await db?.close();
  });

  it('a column added pauses the table, the other keeps flowing, and capture install resumes it', async () => {
    await db.pool.query(`ALTER TABLE kiosk.item ADD COLUMN colour text`);
    await db.pool.query(`INSERT INTO kiosk.item VALUES ('c', 3, 'cherry', 'red')`);
    await db.pool.query(`UPDATE kiosk.visit SET note = 'second' WHERE id = 1`);
    // One Postgres transaction touching both tables waits with the paused one.
    await db.pool.query(`BEGIN; INSERT INTO kiosk.visit VALUES (2, 'with c'); UPDATE kiosk.item SET qty = 4 WHERE sku = 'c'; COMMIT`);
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (3, 'alone')`);

    await relay.drain();
    const paused = await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA);
    expect(paused.map((p) => [p.table, p.detail])).toEqual([
      ['item', { added: ['colour'], dropped: [], retyped: [], tableMissing: false }],
    ]);
    expect(paused[0]!.reason).toBe(
      'schema of "item" changed under capture: column(s) added colour; run codegen, deploy Convex, then `tandem capture install`',
    );
    expect(await deadLetters()).toBe(0);
    expect(store.table('visit')).toEqual({ '1': { id: 1, note: 'second' }, '3': { id: 3, note: 'alone' } });
    expect(Object.keys(store.table('item')).sort()).toEqual(['a', 'b']);
    expect([await pending('item'), await pending('visit')]).toEqual([2, 1]);
    const status = await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, await discover());
    expect(status.map((s) => [s.table, s.paused?.reason ?? null])).toEqual([
      ['item', paused[0]!.reason],
      ['visit', null],
    ]);

    // codegen → deploy Convex → capture install: the table resumes, the running
    // relay discovers the mirror again and applies what was held, in order.
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item'], mirror: await discover() });
    expect(await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    await db.pool.query(`UPDATE kiosk.item SET colour = 'green' WHERE sku = 'a'`);
    expect(await relay.drain()).toEqual({ applied: 4, retried: 0, dead: 0 });
    expect(await deadLetters()).toBe(0);
    await repairItems(['b']);
    await expectStoreEqualsPostgres();
    expect(store.table('item')['c']).toEqual({ sku: 'c', qty: 4, label: 'cherry', colour: 'red' });
    expect(await audit()).toEqual([
      { action: 'relay.pause', target: 'item' },
      { action: 'capture.resume', target: 'item' },
    ]);
  });

  it('with writes flowing and the relay running: the change pauses only its table, install resumes it, nothing is lost', async () => {
    relay.start();
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        n += 1;
        await db.pool.query(`INSERT INTO kiosk.visit VALUES ($1, 'v')`, [100 + n]);
        await db.pool.query(`UPDATE kiosk.item SET qty = qty + 1 WHERE sku = 'a'`);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const until = async (what: () => Promise<boolean>) => {
      for (let i = 0; i < 500 && !(await what()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await what()).toBe(true);
    };
    try {
      await until(async () => n >= 5);
      await db.pool.query(`ALTER TABLE kiosk.item ADD COLUMN colour text DEFAULT 'plain'`);
      await until(async () => (await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).length === 1);
      // The other table keeps flowing while item is paused.
      const visitsAtPause = n;
      await until(async () => n >= visitsAtPause + 5 && Object.keys(store.table('visit')).length > visitsAtPause + 1);
      expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA))[0]!.detail).toEqual({ added: ['colour'], dropped: [], retyped: [], tableMissing: false });
      await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item'], mirror: await discover() });
    } finally {
      writing = false;
      await writer;
    }
    await until(async () => (await pending('item')) + (await pending('visit')) === 0);
    await relay.stop();
    expect(await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    expect(await deadLetters()).toBe(0);
    await repairItems(['b']);
    await expectStoreEqualsPostgres();
    expect(Object.keys(store.table('visit'))).toHaveLength(n + 1);
  });

  it('events captured before the change and still pending at the resume are replaced by the current rows, not dead-lettered', async () => {
    await db.pool.query(`INSERT INTO kiosk.item VALUES ('e', 5, 'elder')`);
    await db.pool.query(`UPDATE kiosk.item SET qty = 10 WHERE sku = 'a'`);
    await db.pool.query(`ALTER TABLE kiosk.item ADD COLUMN colour text DEFAULT 'plain'`);
    await db.pool.query(`INSERT INTO kiosk.item VALUES ('f', 6, 'fig', 'purple')`);
    await relay.drain();
    expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).map((p) => p.table)).toEqual(['item']);
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item'], mirror: await discover() });
    await relay.drain();
    expect(await deadLetters()).toBe(0);
    expect(store.table('item')['e']).toEqual({ sku: 'e', qty: 5, label: 'elder', colour: 'plain' });
    expect(store.table('item')['a']).toEqual({ sku: 'a', qty: 10, label: 'apple', colour: 'plain' });
    await repairItems(['b']);
    await expectStoreEqualsPostgres();
  });

  it('a column dropped pauses the table with the column named', async () => {
    await db.pool.query(`ALTER TABLE kiosk.item DROP COLUMN label`);
    await db.pool.query(`UPDATE kiosk.item SET qty = 5 WHERE sku = 'a'`);
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (2, 'still flowing')`);
    await relay.drain();
    expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).map((p) => [p.table, p.detail])).toEqual([
      ['item', { added: [], dropped: ['label'], retyped: [], tableMissing: false }],
    ]);
    expect(store.table('visit')['2']).toEqual({ id: 2, note: 'still flowing' });
    expect(await deadLetters()).toBe(0);
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item'], mirror: await discover() });
    await relay.drain();
    await repairItems(['b']);
    await expectStoreEqualsPostgres();
  });

  it('a column renamed to a name Convex cannot take pauses only its table, with the reason in discovery', async () => {
    await db.pool.query(`ALTER TABLE kiosk.item RENAME COLUMN label TO "Label"`);
    await db.pool.query(`UPDATE kiosk.item SET qty = 5 WHERE sku = 'a'`);
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (2, 'still flowing')`);
    await relay.drain();
    expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).map((p) => [p.table, p.reason, p.detail])).toEqual([
      ['item', 'table "item" is no longer in the live mirror', { added: [], dropped: [], retyped: [], tableMissing: true }],
    ]);
    expect(store.table('visit')['2']).toEqual({ id: 2, note: 'still flowing' });
    expect([await pending('item'), await deadLetters()]).toEqual([1, 0]);
    expect((await discoverMirror(db.pool, PROJECT)).skipped).toEqual([
      {
        table: 'item',
        reason: 'column name "Label" is not a Convex field name ([a-z][a-z0-9_]*): rename the column, or list the table in exclude',
      },
    ]);
  });

  it('a column retyped (int → text) pauses the table with both types named', async () => {
    await db.pool.query(`ALTER TABLE kiosk.item ALTER COLUMN qty TYPE text`);
    await db.pool.query(`UPDATE kiosk.item SET qty = 'six' WHERE sku = 'b'`);
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (2, 'still flowing')`);
    await relay.drain();
    expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).map((p) => [p.table, p.detail])).toEqual([
      ['item', { added: [], dropped: [], retyped: [{ column: 'qty', from: 'int4', to: 'text' }], tableMissing: false }],
    ]);
    expect(store.table('visit')['2']).toEqual({ id: 2, note: 'still flowing' });
    expect(await deadLetters()).toBe(0);
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item'], mirror: await discover() });
    await relay.drain();
    await repairItems(['a']);
    await expectStoreEqualsPostgres();
    expect(store.table('item')['b']).toEqual({ sku: 'b', qty: 'six', label: 'banana' });
  });

  it('a relay started after the change pauses the table before mapping it with columns Convex was not deployed for', async () => {
    await db.pool.query(`ALTER TABLE kiosk.item ADD COLUMN colour text`);
    await db.pool.query(`INSERT INTO kiosk.item VALUES ('c', 3, 'cherry', 'red')`);
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (2, 'still flowing')`);
    const shapeChanges = async () =>
      (await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, await discover())).map((s) => [s.table, s.paused !== null, s.shapeChange]);
    // Status sees the change before any relay does (read-only: it does not pause).
    expect(await shapeChanges()).toEqual([
      ['item', false, { table: 'item', added: ['colour'], dropped: [], retyped: [], tableMissing: false }],
      ['visit', false, null],
    ]);
    const late = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, target: store, schema: { mirror: await discover(), discover }, metrics: createRelayMetrics(), log: silentLogger },
      FAST_RELAY,
    );
    expect(await late.drain()).toEqual({ applied: 1, retried: 0, dead: 0 });
    expect((await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).map((p) => [p.table, p.detail])).toEqual([
      ['item', { added: ['colour'], dropped: [], retyped: [], tableMissing: false }],
    ]);
    expect(store.table('visit')['2']).toEqual({ id: 2, note: 'still flowing' });
    expect(store.table('item')['c']).toBeUndefined();
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['item'], mirror: await discover() });
    expect(await shapeChanges()).toEqual([
      ['item', false, null],
      ['visit', false, null],
    ]);
    expect(await late.drain()).toEqual({ applied: 1, retried: 0, dead: 0 });
    expect(store.table('item')['c']).toEqual({ sku: 'c', qty: 3, label: 'cherry', colour: 'red' });
  });

  it('a bad value with the shape unchanged still goes to dead letters, and nothing pauses', async () => {
    await db.pool.query(`INSERT INTO kiosk.visit VALUES (9, repeat('x', 1100000))`);
    await db.pool.query(`INSERT INTO kiosk.item VALUES ('d', 7, 'date')`);
    expect(await relay.drain()).toEqual({ applied: 1, retried: 0, dead: 1 });
    expect(await pausedTables(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    const { rows } = await db.pool.query<{ table_name: string; key: string; rule: string }>(
      'SELECT table_name, key, rule FROM tandem.dead_letter',
    );
    expect(rows).toEqual([{ table_name: 'visit', key: '9', rule: 'document-size' }]);
  });
});
