import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPage, tableShape, type PageRow } from '../../src/backfill/index.js';
import { readTableCatalog } from '../../src/capture/catalog.js';
import { installCapture } from '../../src/capture/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { PAIR_TABLE_SQL } from '../capture/captureFixture.js';
import { prepareBackfillDatabase } from './fixture.js';
import { storySiteCapture } from '../support/storySiteMirror.js';

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
  });
  afterAll(() => db?.close());

  it('pages a composite key in key order; key text and version agree with the capture trigger', async () => {
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['capture_pair'] });
    await db.pool.query(`UPDATE capture_pair SET price = 2 WHERE lang = 'en' AND n = 2`);
    await db.pool.query(`UPDATE capture_pair SET price = 3 WHERE lang = 'en' AND n = 2`);
    const { rows: outbox } = await db.pool.query<{ key: string; seq: string }>(
      `SELECT key, max(seq)::text AS seq FROM tandem.outbox WHERE table_name = 'capture_pair' GROUP BY key`,
    );
    expect(outbox.map((o) => o.key)).toEqual(['["en","2"]']);

    const catalog = (await readTableCatalog(db.pool, ['capture_pair'], { schema: 'public' })).get('capture_pair')!;
    const shape = tableShape('public', catalog);
    const pages: PageRow[][] = [];
    let after: string[] | null = null;
    for (;;) {
      const page = await readPage(db.pool, shape, after, 3);
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
    expect(await readPage(db.pool, shape, ['fr', '2'], 3)).toEqual([]);
  });
});
