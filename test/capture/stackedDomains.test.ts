/**
 * A domain over a domain: pg_type.typbasetype names the inner domain, not the
 * base type, so capture must resolve the whole chain as the plan and the
 * mapping do. Otherwise a stacked-domain key is refused as an unknown type and
 * a stacked-domain column travels as text while the mapping expects a number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCapture } from '../../src/capture/index.js';
import { readTableCatalog } from '../../src/capture/catalog.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { requireTable, type MirrorConfig } from '../../src/mapping/index.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { migrate } from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { canonicalColumns, capturedRows, parityRows } from '../support/readPaths.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('domains over domains [%s]', (backend) => {
  let db: TestDatabase;
  let config: MirrorConfig;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(`
      CREATE DOMAIN row_id AS bigint;
      CREATE DOMAIN positive_id AS row_id CHECK (VALUE > 0);
      CREATE DOMAIN tally_value AS integer;
      CREATE DOMAIN non_negative AS tally_value CHECK (VALUE >= 0);
      CREATE TABLE tally (id positive_id PRIMARY KEY, n non_negative, ns non_negative[], note text)`);
    config = (await discoverMirror(db.pool, parseProjectConfig({ schema: 'public' }, null))).mirror;
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: ['tally'], mirror: config });
    await db.pool.query(
      `INSERT INTO tally VALUES (1, 5, ARRAY[1, 2], 'a'), (9007199254740993, 0, NULL, NULL);
       UPDATE tally SET n = 6 WHERE id = 1`,
    );
  });

  afterAll(async () => {
    await db?.close();
  });

  it('types each column by its base type, so only text-form types (int8 among them) travel as text', async () => {
    const catalog = (await readTableCatalog(db.pool, ['tally'], { tool: DEFAULT_TOOL_SCHEMA, schema: 'public' })).get(
      'tally',
    )!;
    expect(catalog.keyTypes).toEqual(['int8']);
    // int8 travels as text (beyond 2^53), the integer domains as JSON numbers.
    expect(catalog.textColumns).toEqual(['id']);
    expect(catalog.domainColumns).toEqual(['id', 'n', 'ns']);
  });

  it('captures the same values parity reads', async () => {
    const table = requireTable(config, 'tally');
    const captured = await capturedRows(db.pool, table, config);
    const parity = await parityRows(db.pool, table);
    expect([...parity.keys()].sort()).toEqual(['1', '9007199254740993']);
    for (const [key, row] of parity) {
      expect(canonicalColumns(captured.get(key)!.columns), key).toEqual(
        canonicalColumns(row.columns),
      );
    }
    expect(parity.get('1')!.columns).toMatchObject({ n: 6, ns: [1, 2] });
  });
});
