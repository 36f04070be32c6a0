/**
 * Virtual generated columns (PostgreSQL 18+, PGlite here) are computed on
 * read: a row trigger sees them as NULL, while the backfill and parity would
 * read the computed value. They are left out of the mirror configuration and
 * of every row image, so all read paths agree; stored generated columns are
 * mirrored as ordinary values.
 *
 * ci-report: no postgres: it runs on the backends whose server has virtual
 * generated columns (PostgreSQL 18+, PGlite here); the CI's PostgreSQL is 15,
 * so there is no [postgres] case to require.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCapture } from '../../src/capture/index.js';
import { mirrorConfigFromCatalog } from '../../src/convex/codegen/mirrorConfigFromCatalog.js';
import { canonicalHash, requireTable, type MirrorConfig } from '../../src/mapping/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { readCatalog } from '../../src/postgres/catalog/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import {
  availableBackends,
  createTestDatabase,
  type Backend,
  type TestDatabase,
} from '../support/db.js';
import {
  backfilledRows,
  canonicalColumns,
  capturedRows,
  parityRows,
} from '../support/readPaths.js';
import { storySiteCapture } from '../support/storySiteMirror.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

/** The backends whose server has virtual generated columns. */
async function backendsWithVirtualColumns(): Promise<Backend[]> {
  const found: Backend[] = [];
  for (const backend of await availableBackends()) {
    const db = await createTestDatabase(backend);
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT current_setting('server_version_num')::int AS n`,
    );
    if (rows[0]!.n >= 180000) found.push(backend);
    await db.close();
  }
  return found;
}

const backends = await backendsWithVirtualColumns();

describe.runIf(backends.length > 0).each(backends)('virtual generated columns [%s]', (backend) => {
  let db: TestDatabase;
  let config: MirrorConfig;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(`
      CREATE TABLE priced (
        id int PRIMARY KEY,
        price numeric(8, 2) NOT NULL,
        with_tax numeric GENERATED ALWAYS AS (price * 1.2) VIRTUAL,
        label text GENERATED ALWAYS AS ('#' || id) STORED
      )`);
    config = mirrorConfigFromCatalog(
      await readCatalog(db.pool, 'public'),
      parseProjectConfig({ schema: 'public' }, null),
    ).config;
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['priced'], mirror: config });
    await db.pool.query(
      `INSERT INTO priced (id, price) VALUES (1, 10.00), (2, 3.50); UPDATE priced SET price = 11 WHERE id = 1`,
    );
  });

  afterAll(async () => {
    await db?.close();
  });

  it('leaves the virtual column out of the configuration and every path, and mirrors the stored one', async () => {
    const table = requireTable(config, 'priced');
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'price', 'label']);
    const captured = await capturedRows(db.pool, table, config);
    const backfilled = await backfilledRows(db.pool, table, config);
    const parity = await parityRows(db.pool, table);
    expect([...parity.keys()].sort()).toEqual(['1', '2']);
    for (const [key, row] of parity) {
      expect(canonicalColumns(captured.get(key)!.columns), key).toEqual(
        canonicalColumns(row.columns),
      );
      expect(canonicalColumns(backfilled.get(key)!.columns), key).toEqual(
        canonicalColumns(row.columns),
      );
      expect(canonicalHash(table, captured.get(key)!.columns, STORY_SITE_TABLES)).toBe(row.hash);
    }
    expect(parity.get('1')!.columns).toEqual({ id: 1, price: '11.00', label: '#1' });
  });
});
