import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPage, tableShape, type PageRow } from '../../src/backfill/index.js';
import { countRemaining } from '../../src/backfill/readPage.js';
import { readTableCatalog } from '../../src/capture/catalog.js';
import { installCapture } from '../../src/capture/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { PAIR_TABLE_SQL } from '../capture/captureFixture.js';
import { prepareBackfillDatabase } from './fixture.js';
import { storySiteCapture } from '../support/storySiteMirror.js';
import { RENTAL_DDL } from '../fixtures/rental.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('readPage: keyset pages with row versions [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await prepareBackfillDatabase(db.pool);
    await db.pool.query(PAIR_TABLE_SQL);
    await db.pool.query(`
      INSERT INTO capture_pair (lang, n, amount, price, counts)
      SELECT l, n, 9007199254740993, 1.5, ARRAY[9007199254740995]::int8[]
        FROM unnest(ARRAY['fr', 'de', 'en']) l CROSS JOIN generate_series(1, 3) n WHERE NOT (l = 'fr' AND n = 3)`);
    await db.pool.query(RENTAL_DDL);
  });

  const pairShape = async () =>
    tableShape('public', (await readTableCatalog(db.pool, ['capture_pair'], { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).get('capture_pair')!);
  afterAll(() => db?.close());

  it('pages a composite key in key order; key text and version agree with the capture trigger', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_pair'] });
    await db.pool.query(`UPDATE capture_pair SET price = 2 WHERE lang = 'en' AND n = 2`);
    await db.pool.query(`UPDATE capture_pair SET price = 3 WHERE lang = 'en' AND n = 2`);
    const { rows: outbox } = await db.pool.query<{ key: string; seq: string }>(
      `SELECT key, max(seq)::text AS seq FROM tandem.outbox WHERE table_name = 'capture_pair' GROUP BY key`,
    );
    expect(outbox.map((o) => o.key)).toEqual(['["en","2"]']);

    const catalog = (await readTableCatalog(db.pool, ['capture_pair'], { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).get('capture_pair')!;
    const shape = tableShape('public', catalog);
    const pages: PageRow[][] = [];
    let after: string[] | null = null;
    for (;;) {
      const page = await readPage(db.pool, DEFAULT_TOOL_SCHEMA, shape, after, 3);
      pages.push(page);
      if (page.length < 3) break;
      after = page.at(-1)!.keyValues;
    }
    expect(pages.map((p) => p.map((r) => r.key))).toEqual([
      ['["de","1"]', '["de","2"]', '["de","3"]'],
      ['["en","1"]', '["en","2"]', '["en","3"]'],
      ['["fr","1"]', '["fr","2"]'],
    ]);
    expect(pages[1]![1]!.keyValues).toEqual(['en', '2']);
    const rows = pages.flat();
    expect(rows.map((r) => r.version)).toEqual(rows.map((r) => (r.key === '["en","2"]' ? Number(outbox[0]!.seq) : 0)));
    const { rows: captured } = await db.pool.query(`SELECT "row" FROM tandem.outbox WHERE seq = $1`, [outbox[0]!.seq]);
    expect(pages[1]![1]!.row).toEqual(captured[0].row);
    expect(pages[1]![1]!.row).toMatchObject({ amount: '9007199254740993', price: '3.0000', counts: ['9007199254740995'] });
    expect(await readPage(db.pool, DEFAULT_TOOL_SCHEMA, shape, ['fr', '2'], 3)).toEqual([]);
  });

  it('refuses a checkpoint whose key values do not match the key', async () => {
    const shape = await pairShape();
    await expect(readPage(db.pool, DEFAULT_TOOL_SCHEMA, shape, ['en'], 3)).rejects.toThrow(
      new Error('checkpoint of capture_pair has 1 key values, the key has 2 columns'),
    );
  });

  it('counts the rows left after a composite checkpoint exactly, and a big table from its statistics', async () => {
    const shape = await pairShape();
    expect(await countRemaining(db.pool, shape, null, 0)).toBe(8);
    expect(await countRemaining(db.pool, shape, ['en', '2'], 5)).toBe(3);
    expect(await countRemaining(db.pool, shape, ['fr', '2'], 8)).toBe(0);
    // From a million rows on, the planner's estimate less what is copied (no count).
    const estimate = (rows: number) =>
      db.pool.query(`UPDATE pg_catalog.pg_class SET reltuples = $1 WHERE oid = 'public.capture_pair'::regclass`, [rows]);
    try {
      await estimate(1_000_000);
      expect(await countRemaining(db.pool, shape, null, 10)).toBe(999_990);
      await estimate(2_500_000.6);
      expect(await countRemaining(db.pool, shape, ['en', '2'], 500)).toBe(2_500_001 - 500);
      expect(await countRemaining(db.pool, shape, null, 3_000_000)).toBe(0);
      await estimate(999_999);
      expect(await countRemaining(db.pool, shape, ['en', '2'], 5)).toBe(3);
    } finally {
      await estimate(-1);
    }
  });

  it('keys a timestamptz key part in UTC whatever the reading session’s time zone, as the trigger does', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['rental'] });
    const writer = await db.pool.connect();
    try {
      await writer.query(`SET TIME ZONE 'Asia/Kolkata'`);
      await writer.query(
        `INSERT INTO rental (rental_id, rented_at, amount) VALUES (1, '2024-03-01 10:00:00.25+05:30', 4.5),
                (2, '2023-12-31 23:30:00-08:00', 1)`,
      );
    } finally {
      await writer.query('RESET TIME ZONE');
      writer.release();
    }
    const { rows: outbox } = await db.pool.query<{ key: string; seq: string }>(
      `SELECT key, seq::text FROM tandem.outbox WHERE table_name = 'rental' ORDER BY seq`,
    );
    expect(outbox.map((o) => o.key)).toEqual(['["1","2024-03-01T04:30:00.25"]', '["2","2024-01-01T07:30:00"]']);
    const catalog = (await readTableCatalog(db.pool, ['rental'], { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).get('rental')!;
    const reader = await db.pool.connect();
    try {
      await reader.query(`SET TIME ZONE 'America/Los_Angeles'`);
      const page = await readPage(reader, DEFAULT_TOOL_SCHEMA, tableShape('public', catalog), null, 10);
      expect(page.map((r) => [r.key, r.version])).toEqual(outbox.map((o) => [o.key, Number(o.seq)]));
    } finally {
      await reader.query('RESET TIME ZONE');
      reader.release();
    }
  });
});
