/**
 * Every column type, read the three ways the tool reads rows: the capture
 * trigger's outbox image, the backfill's page query and parity's reader. All
 * three must map to the same Convex values and the same canonical hash (or a
 * clean mirror would show drift), the Convex-side hash must agree, and the
 * generated Convex validators (and convex-test's own validation) must accept
 * the mapped document. Keys and refusals: allTypesKeys.test.ts.
 */
import { convexTest } from 'convex-test';
import { defineSchema, defineTable } from 'convex/server';
import { convexToJson, jsonToConvex, v, type Validator, type Value } from 'convex/values';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as convexSide from '../../convex-kit/tandem/canonical.js';
import { columnValidator } from '../../src/convex/codegen/renderSchema.js';
import { loadConvexDir } from '../../src/convex/loadConvexDir.js';
import { canonicalHash, type MirrorConfig, type TableConfig } from '../../src/mapping/index.js';
import { convexValidationError } from '../catalog/convexValidate.js';
import { ALL_TYPES_KEYS } from '../fixtures/allTypes.js';
import { openAllTypesDatabase } from '../support/allTypesDatabase.js';
import { availableBackends, type TestDatabase } from '../support/db.js';
import {
  backfilledRows,
  canonicalColumns,
  capturedRows,
  parityRows,
} from '../support/readPaths.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

const backends = await availableBackends();

describe.each(backends)('every column type, three read paths [%s]', (backend) => {
  let db: TestDatabase;
  let config: MirrorConfig;
  let table: TableConfig;

  beforeAll(async () => {
    ({ db, config, table } = await openAllTypesDatabase(backend));
  });

  afterAll(async () => {
    await db?.close();
  });

  it('builds a column config for every type', () => {
    const types = Object.fromEntries(
      table.columns.map((c) => [
        c.name,
        `${c.type}${c.array ? '[]' : ''}${c.pgType ? `:${c.pgType}` : ''}`,
      ]),
    );
    expect(types).toEqual({
      id: 'uuid',
      at: 'timestamptz',
      c_int2: 'int2',
      c_int4: 'int4',
      c_int8: 'int8',
      c_numeric: 'numeric',
      c_scaled: 'numeric',
      c_real: 'float4',
      c_double: 'float8',
      c_bool: 'bool',
      c_text: 'text',
      c_varchar: 'varchar',
      c_char: 'bpchar',
      c_date: 'date',
      c_time: 'time',
      c_timetz: 'timetz',
      c_timestamp: 'timestamp',
      c_timestamptz: 'timestamptz',
      c_interval: 'interval',
      c_mood: 'enum',
      c_mood_domain: 'enum',
      c_amount: 'numeric',
      c_code: 'varchar',
      c_stacked: 'int4',
      c_json: 'json',
      c_jsonb: 'jsonb',
      c_bytea: 'bytea',
      c_tsvector: 'other:tsvector',
      c_inet: 'other:inet',
      c_cidr: 'other:cidr',
      c_macaddr: 'other:macaddr',
      c_money: 'other:money',
      c_bit: 'other:bit',
      c_varbit: 'other:varbit',
      c_xml: 'other:xml',
      c_point: 'other:point',
      c_range: 'other:int4range',
      c_pair: 'other:pair',
      a_int4: 'int4[]',
      a_int8: 'int8[]',
      a_numeric: 'numeric[]',
      a_double: 'float8[]',
      a_text: 'text[]',
      a_mood: 'enum[]',
      a_uuid: 'uuid[]',
      a_date: 'date[]',
      a_timestamptz: 'timestamptz[]',
      a_bytea: 'bytea[]',
      a_inet: 'other[]:inet',
      a_jsonb: 'jsonb[]',
      a_amount: 'numeric[]',
      a_tags: 'text[]',
      c_generated: 'text',
    });
  });

  it('maps identically through capture, backfill and parity, with one canonical hash', async () => {
    const captured = await capturedRows(db.pool, table, config);
    const backfilled = await backfilledRows(db.pool, table, config);
    const parity = await parityRows(db.pool, table);
    expect([...captured.keys()].sort()).toEqual([...parity.keys()].sort());
    expect([...backfilled.keys()].sort()).toEqual([...parity.keys()].sort());
    expect(captured.size).toBe(3);
    for (const [key, fromParity] of parity) {
      const fromCapture = captured.get(key)!;
      const fromBackfill = backfilled.get(key)!;
      expect(canonicalColumns(fromCapture.columns), key).toEqual(
        canonicalColumns(fromBackfill.columns),
      );
      expect(canonicalColumns(fromCapture.columns), key).toEqual(
        canonicalColumns(fromParity.columns),
      );
      const hash = canonicalHash(table, fromCapture.columns, STORY_SITE_TABLES);
      expect(canonicalHash(table, fromBackfill.columns, STORY_SITE_TABLES)).toBe(hash);
      expect(fromParity.hash).toBe(hash);
      // The hash Convex computes over the stored document (convex-kit/tandem/canonical.ts).
      const names = convexSide.sortedColumns(table.columns.map((c) => c.name));
      expect(convexSide.canonicalRowHash(table.name, names, fromCapture.change.doc!)).toBe(hash);
    }
  });

  it('maps the edge values as documented', async () => {
    const parity = await parityRows(db.pool, table);
    const edges = parity.get(
      '["b5f1e3c2-8d4a-4f6b-9a7e-2c1d0e9f8a7b","1999-12-31T23:59:59.999999"]',
    )!.columns;
    expect(edges.at).toBe(Date.UTC(1999, 11, 31, 23, 59, 59, 999) + 0.999);
    expect(edges.c_int2).toBe(-32768);
    expect(edges.c_int8).toBe(9223372036854775807n);
    expect(edges.c_numeric).toBe(`1${'0'.repeat(400)}.0001`);
    expect(edges.c_scaled).toBe('123.4500');
    expect(Object.is(edges.c_real, -0)).toBe(true);
    expect(edges.c_double).toBeNaN();
    expect(edges.c_text).toBe('שלום "q" \\ é');
    expect(edges.c_char).toBe('ab   ');
    expect(edges.c_date).toBe('0044-03-15 BC');
    expect(edges.c_time).toBe('23:59:59.999999');
    expect(edges.c_timetz).toBe('03:04:05.5+05:30');
    expect(edges.c_timestamp).toBe(Date.UTC(2024, 1, 29, 12, 34, 56, 789) + 0.012);
    expect(edges.c_timestamptz).toBe(-0.001);
    expect(edges.c_interval).toBe('1 year 2 mons 3 days 04:05:06.789012');
    expect(edges.c_mood).toBe('très bien');
    expect(edges.c_mood_domain).toBe('ok');
    expect(edges.c_amount).toBe('0.0001');
    expect(edges.c_json).toEqual({
      '~tandem_keys': ['a', 'b', 'ключ'],
      '~tandem_values': [[1, 2.5, null], 1, { '~tandem_keys': ['$x'], '~tandem_values': ['y'] }],
    });
    const bytes = new Uint8Array(edges.c_bytea as ArrayBuffer);
    expect(bytes.length).toBe(256);
    expect([...bytes].every((b, i) => b === i)).toBe(true);
    expect(edges.c_tsvector).toBe("'brown':3 'fox':4 'quick':2 'the':1");
    expect(edges.c_inet).toBe('192.168.0.1/24');
    expect(edges.c_money).toBe('$1,234.56');
    expect(edges.c_bit).toBe('1010');
    expect(edges.c_xml).toBe('<doc a="1">text &amp; more</doc>');
    expect(edges.c_point).toBe('(1.5,-2)');
    expect(edges.c_range).toBe('[1,10)');
    expect(edges.c_pair).toBe('(7,seven)');
    expect(edges.a_int8).toEqual([-9223372036854775808n, 0n]);
    expect(edges.a_numeric).toEqual(['1.50', 'NaN', '-0.000001']);
    expect(edges.a_double!.toString()).toBe([NaN, Infinity, -Infinity, -0, 1e-300].toString());
    expect(Object.is((edges.a_double as number[])[3], -0)).toBe(true);
    expect(edges.a_text).toEqual(['a', null, '', 'ü']);
    expect(edges.a_mood).toEqual(['sad', 'très bien']);
    expect(edges.a_date).toEqual(['infinity', '2000-01-01', '0001-01-01 BC']);
    expect(edges.a_timestamptz).toEqual([Date.UTC(2024, 0, 2, 3, 4, 5) + 0.001, -Infinity]);
    expect(
      (edges.a_bytea as Array<ArrayBuffer | null>).map((b) =>
        b ? Buffer.from(b).toString('hex') : b,
      ),
    ).toEqual(['00ff', null, '']);
    // inet's ::text always shows the netmask.
    expect(edges.a_inet).toEqual(['::1/128', '10.0.0.1/32']);
    expect(edges.a_jsonb).toEqual([{ k: [1] }, null]);
    expect(edges.a_tags).toEqual(['x', 'y']);
    expect(edges.c_generated).toBe('שלום "Q" \\ É!');

    const extremes = parity.get(
      '["ffffffff-ffff-ffff-ffff-ffffffffffff","0044-03-15T12:00:00 BC"]',
    )!.columns;
    expect(extremes.c_int8).toBe(-9223372036854775808n);
    expect(extremes.c_numeric).toBe('-Infinity');
    expect(extremes.c_scaled).toBe('-999999.9999');
    expect([extremes.c_real, extremes.c_double]).toEqual([Infinity, -Infinity]);
    expect([extremes.c_date, extremes.c_timestamp, extremes.c_timestamptz]).toEqual([
      'infinity',
      -Infinity,
      Infinity,
    ]);
    expect(extremes.c_interval).toBe('-1 days +02:03:00');
    expect(extremes.c_char).toBe('abcde');
    expect(new Uint8Array(extremes.c_bytea as ArrayBuffer).length).toBe(0);
    expect(extremes.c_jsonb).toEqual([]);
    expect([extremes.a_double, extremes.a_text]).toEqual([[], []]);
  });

  it('gives documents the generated Convex validators accept', async () => {
    const fields = Object.fromEntries(
      table.columns.map((c) => [
        c.name,
        new Function('v', `return ${columnValidator(c)}`)(v) as unknown,
      ]),
    );
    const validator = v.object(fields as never) as unknown as Parameters<
      typeof convexValidationError
    >[0];
    const captured = await capturedRows(db.pool, table, config);
    for (const [key, row] of captured)
      expect(convexValidationError(validator, row.change.doc), key).toBeNull();
    const wrong = { ...captured.values().next().value!.change.doc, c_bytea: 'x' };
    expect(convexValidationError(validator, wrong)).toMatch(/^\$\.c_bytea: no member matched/);
  });

  it('keeps every value through Convex’s JSON wire encoding (what the http target sends)', async () => {
    const captured = await capturedRows(db.pool, table, config);
    for (const [key, row] of captured) {
      const doc = row.change.doc!;
      const back = jsonToConvex(JSON.parse(JSON.stringify(convexToJson(doc as Value)))) as Record<
        string,
        unknown
      >;
      expect(canonicalColumns(back), key).toEqual(canonicalColumns(doc));
    }
  });

  it('stores every mapped document in convex-test under the generated validators, and hashes it back the same', async () => {
    const fields = Object.fromEntries(
      table.columns.map((c) => [
        c.name,
        new Function('v', `return ${columnValidator(c)}`)(v) as Validator<unknown>,
      ]),
    );
    const schema = defineSchema({
      all_types: defineTable({ ...fields, pgKey: v.string(), pgVersion: v.number() }),
    });
    // Only the schema is the test's own: no function of the project's folder runs here.
    const convex = convexTest(schema, (await loadConvexDir(STORY_SITE_CONVEX_DIR)).modules);
    const captured = await capturedRows(db.pool, table, config);
    const names = convexSide.sortedColumns(table.columns.map((c) => c.name));
    for (const [key, row] of captured) {
      const stored = await convex.run(async (ctx) => {
        const id = await ctx.db.insert('all_types', {
          ...row.change.doc!,
          pgKey: key,
          pgVersion: 1,
        } as never);
        return (await ctx.db.get(id))!;
      });
      const { _id, _creationTime, pgKey, pgVersion, ...columns } = stored as Record<
        string,
        unknown
      >;
      expect([typeof _id, typeof _creationTime, pgKey, pgVersion]).toEqual([
        'string',
        'number',
        key,
        1,
      ]);
      expect(convexSide.canonicalRowHash(table.name, names, columns), key).toBe(
        canonicalHash(table, row.columns, STORY_SITE_TABLES),
      );
    }
    const doc = captured.values().next().value!.change.doc!;
    await expect(
      convex.run((ctx) =>
        ctx.db.insert('all_types', { ...doc, c_bytea: 'x', pgKey: 'k', pgVersion: 1 } as never),
      ),
    ).rejects.toThrow(/Validator error: Expected one of bytes, null/);
  });

  it('maps bytea written by a session with bytea_output = escape to the same bytes', async () => {
    const client = await db.pool.connect();
    try {
      await client.query(
        `BEGIN; SET LOCAL bytea_output = 'escape';
         UPDATE all_types SET c_int4 = c_int4 - 1 WHERE id = '${ALL_TYPES_KEYS.edges[0]}'; COMMIT;`,
      );
    } finally {
      client.release();
    }
    const key = '["b5f1e3c2-8d4a-4f6b-9a7e-2c1d0e9f8a7b","1999-12-31T23:59:59.999999"]';
    const { rows } = await db.pool.query<{ bytes: string }>(
      `SELECT "row" ->> 'c_bytea' AS bytes FROM tandem.outbox WHERE key = $1 ORDER BY seq DESC LIMIT 1`,
      [key],
    );
    expect(rows[0]!.bytes.startsWith('\\000\\001')).toBe(true);
    const captured = (await capturedRows(db.pool, table, config)).get(key)!;
    const parity = (await parityRows(db.pool, table)).get(key)!;
    expect(canonicalColumns(captured.columns)).toEqual(canonicalColumns(parity.columns));
    expect(new Uint8Array(captured.columns.c_bytea as ArrayBuffer).length).toBe(256);
  });
});
