/**
 * Keys of every key type (a composite key with a timestamptz part; date, time,
 * timestamp, char(n), enum and numeric parts) agree between the trigger, the
 * Node-side mapping, the backfill pager, parity's lookups and repair, whatever
 * the writing session's time zone; and a value Convex cannot hold becomes a
 * dead letter naming table, key, column and rule. Fixture: allTypes.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPage, tableShape } from '../../src/backfill/index.js';
import { readTableCatalog } from '../../src/capture/catalog.js';
import { RecordingConvexTarget } from '../../src/convex/recordingTarget.js';
import { silentLogger } from '../../src/log.js';
import {
  mapChange,
  MappingError,
  requireTable,
  type MirrorConfig,
  type TableConfig,
} from '../../src/mapping/index.js';
import { pgRowsByKeys } from '../../src/parity/pgRows.js';
import { repairKeys } from '../../src/parity/repair.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { listDeadLetters } from '../../src/outbox/deadLetters.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { ALL_TYPES_KEYS } from '../fixtures/allTypes.js';
import { openAllTypesDatabase } from '../support/allTypesDatabase.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import { FAST_RELAY } from '../support/mirror.js';
import { canonicalColumns, capturedRows, parityRows } from '../support/readPaths.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('keys of every type, and refusals [%s]', (backend) => {
  let db: TestDatabase;
  let config: MirrorConfig;
  let table: TableConfig;

  beforeAll(async () => {
    ({ db, config, table } = await openAllTypesDatabase(backend));
  });

  afterAll(async () => {
    await db?.close();
  });

  it('gives keys in UTC whatever the writing session’s time zone, equal to the Node-side key', async () => {
    const captured = await capturedRows(db.pool, table, config);
    expect([...captured.keys()].sort()).toEqual([
      '["00000000-0000-0000-0000-000000000001","2024-01-02T03:04:05.123456"]',
      '["b5f1e3c2-8d4a-4f6b-9a7e-2c1d0e9f8a7b","1999-12-31T23:59:59.999999"]',
      '["ffffffff-ffff-ffff-ffff-ffffffffffff","0044-03-15T12:00:00 BC"]',
    ]);
    // An update from a UTC session lands on the same key.
    await db.pool.query(`UPDATE all_types SET c_int4 = 1 WHERE id = $1`, [ALL_TYPES_KEYS.nulls[0]]);
    const { rows } = await db.pool.query<{ key: string; op: string }>(
      `SELECT key, op FROM tandem.outbox WHERE table_name = 'all_types' ORDER BY seq DESC LIMIT 1`,
    );
    expect(rows[0]).toEqual({
      key: '["00000000-0000-0000-0000-000000000001","2024-01-02T03:04:05.123456"]',
      op: 'update',
    });
  });

  it('finds rows by key text for parity and repair, BC and microsecond keys included', async () => {
    const parity = await parityRows(db.pool, table);
    const keys = [...parity.keys()];
    // From a session in another time zone: the key's UTC text must still find the row.
    const client = await db.pool.connect();
    let found: Awaited<ReturnType<typeof pgRowsByKeys>>;
    try {
      await client.query(`SET TIME ZONE 'America/St_Johns'`);
      found = await pgRowsByKeys(client, table, [
        ...keys,
        '["00000000-0000-0000-0000-000000000001","2024-01-02T03:04:05.123457"]',
      ]);
    } finally {
      await client.query('RESET TIME ZONE');
      client.release();
    }
    expect([...found.keys()].sort()).toEqual(keys.sort());
    for (const [key, row] of found) expect(row.hash, key).toBe(parity.get(key)!.hash);
  });

  it('keys by date, time, timestamp, char(n), enum and numeric alike in every path, paging and lookup included', async () => {
    const keyed = requireTable(config, 'all_key_types');
    const captured = await capturedRows(db.pool, keyed, config);
    expect([...captured.keys()].sort()).toEqual([
      '["-infinity","12:30:00","-infinity"," x ","happy","0"]',
      '["0044-03-15 BC","23:59:59.999999","0044-03-15T12:00:00 BC","ab ","très bien","-0.0001"]',
      '["2024-02-29","00:00:00","2024-02-29T12:00:00.000001","a  ","sad","1.50"]',
      '["infinity","12:30:00","infinity","abc","ok","100000000000000000000"]',
    ]);
    const catalog = (await readTableCatalog(db.pool, ['all_key_types'], { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).get('all_key_types')!;
    const paged: string[] = [];
    let after: string[] | null = null;
    for (;;) {
      const page = await readPage(db.pool, DEFAULT_TOOL_SCHEMA, tableShape('public', catalog), after, 1);
      if (page.length === 0) break;
      paged.push(page[0]!.key);
      after = page[0]!.keyValues;
    }
    expect(paged.sort()).toEqual([...captured.keys()].sort());
    const found = await pgRowsByKeys(db.pool, keyed, [...captured.keys()]);
    expect([...found.keys()].sort()).toEqual([...captured.keys()].sort());
    const parity = await parityRows(db.pool, keyed);
    expect([...parity.keys()].sort()).toEqual([...captured.keys()].sort());
    // Repair re-emits rows with the trigger's key text and image (the table has a column named t, parity's alias).
    const repaired = await repairKeys(db.pool, DEFAULT_TOOL_SCHEMA, keyed, [...captured.keys()]);
    expect([repaired.upserts, repaired.deletes]).toEqual([4, 0]);
    const reemitted = await capturedRows(db.pool, keyed, config);
    for (const [key, row] of parity)
      expect(canonicalColumns(reemitted.get(key)!.columns), key).toEqual(
        canonicalColumns(row.columns),
      );
  });

  it('refuses a multi-dimensional array as a dead letter naming table, key, column and rule', async () => {
    await db.pool.query(
      `INSERT INTO all_types (id, at, c_code, a_int4) VALUES ($1, '2020-01-01 00:00:00+00', 'm', '{{1,2},{3,4}}')`,
      ['00000000-0000-0000-0000-0000000000dd'],
    );
    const { rows } = await db.pool.query<{
      seq: string;
      key: string;
      row: Record<string, unknown>;
    }>(`SELECT seq::text, key, "row" FROM tandem.outbox WHERE key LIKE '%0000000000dd%'`);
    const change = {
      seq: Number(rows[0]!.seq),
      txid: '1',
      table: 'all_types',
      key: rows[0]!.key,
      op: 'insert' as const,
      row: rows[0]!.row,
      operationKey: null,
    };
    let error: unknown;
    try {
      mapChange(change, config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({
      table: 'all_types',
      key: '["00000000-0000-0000-0000-0000000000dd","2020-01-01T00:00:00"]',
      column: 'a_int4',
      rule: 'array-dimensions',
    });

    // Through the relay: that event becomes a dead letter, every other event is applied.
    const target = new RecordingConvexTarget();
    const relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA,
        pool: db.pool,
        target,
        mapper: mirrorMapper(config),
        metrics: createRelayMetrics(),
        log: silentLogger,
      },
      FAST_RELAY,
    );
    const summary = await relay.drain();
    const dead = await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA, { table: 'all_types' });
    expect(dead.map((d) => [d.key, d.rule, d.column])).toEqual([
      [
        '["00000000-0000-0000-0000-0000000000dd","2020-01-01T00:00:00"]',
        'array-dimensions',
        'a_int4',
      ],
    ]);
    expect(summary.dead).toBe(1);
    const { rows: left } = await db.pool.query(
      `SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending'`,
    );
    expect(left[0].n).toBe(0);
    const sent = target.calls
      .flatMap((c) => ('transactions' in c ? c.transactions : []))
      .flatMap((t) => t.changes);
    expect(sent.some((c) => c.key.includes('0000000000dd'))).toBe(false);
    expect(new Set(sent.filter((c) => c.table === 'all_types').map((c) => c.key)).size).toBe(3);
  });
});
