/**
 * Discovery on an application that is not the story site: which tables are
 * mirrored with no config at all, what is skipped and why, keys named in the
 * config for tables without a primary key, and the config errors that stop a
 * command before it writes anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { ConfigError, InvalidInputError } from '../../src/core/errors.js';
import { discoverMirror, selectTables } from '../../src/discovery/discoverMirror.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { SHOP_DDL, SHOP_SCHEMA } from './shopSchema.js';

const backends = await availableBackends();

const NO_KEY = (table: string) =>
  `no primary key: name the columns of a unique NOT NULL index in keys.${table} to mirror it`;

describe.each(backends)('discovery [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await db.pool.query(SHOP_DDL);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('with no config: every keyed table (partitioned parents, not partitions), keyless ones skipped with the reason', async () => {
    const found = await discoverMirror(db.pool, parseProjectConfig({ schema: SHOP_SCHEMA }, null));
    expect(found.mirror.tables.map((t) => [t.name, t.primaryKey])).toEqual([
      ['customer', ['code']],
      ['reading', ['sensor', 'n']],
      ['orders', ['id']],
      ['line', ['order_id', 'line_no']],
    ]);
    expect(found.skipped).toEqual([
      { table: 'event', reason: NO_KEY('event') },
      { table: 'page_view', reason: NO_KEY('page_view') },
    ]);
    expect(found.mirror.tables.find((t) => t.name === 'orders')!.foreignKeys).toEqual([
      { column: 'customer_code', references: 'customer' },
    ]);
  });

  it('mirrors a keyless table by the unique NOT NULL columns the config names', async () => {
    const config = parseProjectConfig(
      { schema: SHOP_SCHEMA, keys: { event: ['seq', 'source'] }, exclude: ['page_view'] },
      'shop.json',
    );
    const found = await discoverMirror(db.pool, config);
    const event = found.mirror.tables.find((t) => t.name === 'event')!;
    expect(event.primaryKey).toEqual(['seq', 'source']);
    expect(found.skipped).toEqual([]);
    expect(selectTables(found, ['line', 'event'])).toEqual(['event', 'line']);
  });

  it('refuses a key override that would not identify rows, naming the file and key', async () => {
    const attempt = (keys: Record<string, string[]>) =>
      discoverMirror(db.pool, parseProjectConfig({ schema: SHOP_SCHEMA, keys }, 'shop.json'));
    await expect(attempt({ page_view: ['path', 'viewer'] })).rejects.toThrow(
      new ConfigError(
        'shop.json: keys.page_view',
        'column page_view.viewer is nullable; a key column must be NOT NULL',
      ),
    );
    await expect(attempt({ page_view: ['path'] })).rejects.toThrow(
      new ConfigError(
        'shop.json: keys.page_view',
        'no unique index or constraint on page_view covers exactly (path)',
      ),
    );
    await expect(attempt({ customer: ['email'] })).rejects.toThrow(
      new ConfigError(
        'shop.json: keys.customer',
        'customer has a primary key (code); keys is for tables without one',
      ),
    );
    await expect(attempt({ ghost: ['id'] })).rejects.toThrow(
      new ConfigError('shop.json: keys.ghost', 'table shop.ghost does not exist'),
    );
    await expect(attempt({ event: ['source', 'nope'] })).rejects.toThrow(
      new ConfigError('shop.json: keys.event', 'column event.nope does not exist'),
    );
  });

  it('skips a table whose primary key has an array column, and refuses one as a key override or an include', async () => {
    // Array keys would be rendered differently by the trigger, the backfill and
    // parity's lookups: one row, several keys (and repair deleting live rows).
    await db.pool.query(`
      CREATE SCHEMA arraykeys;
      CREATE TABLE arraykeys.tagged (tags text[] PRIMARY KEY, note text);
      CREATE TABLE arraykeys.pair (id int4, cell int4[], PRIMARY KEY (id, cell));
      CREATE TABLE arraykeys.grid (cell int4[] NOT NULL UNIQUE, label text NOT NULL);
      CREATE TABLE arraykeys.plain (id int4 PRIMARY KEY, tags text[]);
    `);
    const config = (value: object) => parseProjectConfig({ schema: 'arraykeys', ...value }, 'arrays.json');
    const found = await discoverMirror(db.pool, config({}));
    expect(found.mirror.tables.map((t) => t.name)).toEqual(['plain']);
    expect(found.skipped).toEqual([
      { table: 'grid', reason: NO_KEY('grid') },
      { table: 'pair', reason: 'primary key column cell is an array (integer[]); Tandem keys rows by scalar columns only' },
      { table: 'tagged', reason: 'primary key column tags is an array (text[]); Tandem keys rows by scalar columns only' },
    ]);
    await expect(discoverMirror(db.pool, config({ keys: { grid: ['cell'] } }))).rejects.toThrow(
      new ConfigError('arrays.json: keys.grid', 'column grid.cell is an array (integer[]); a key column must be scalar'),
    );
    await expect(discoverMirror(db.pool, config({ include: ['tagged'] }))).rejects.toThrow(
      new ConfigError(
        'arrays.json: include',
        'tagged: primary key column tags is an array (text[]); Tandem keys rows by scalar columns only',
      ),
    );
  });

  it('refuses an included table that is missing or cannot be keyed, and unknown --tables', async () => {
    const discover = (value: object) =>
      discoverMirror(db.pool, parseProjectConfig({ schema: SHOP_SCHEMA, ...value }, 'shop.json'));
    await expect(discover({ include: ['customer', 'order_sizes'] })).rejects.toThrow(
      new ConfigError(
        'shop.json: include',
        'table shop.order_sizes does not exist (or is not an ordinary or partitioned table)',
      ),
    );
    await expect(discover({ include: ['page_view'] })).rejects.toThrow(
      new ConfigError('shop.json: include', `page_view: ${NO_KEY('page_view')}`),
    );
    const found = await discover({ include: ['line', 'orders', 'customer'] });
    expect(found.mirror.tables.map((t) => t.name)).toEqual(['customer', 'orders', 'line']);
    expect(() => selectTables(found, ['reading_low'])).toThrow(
      new InvalidInputError(
        'tables',
        'table shop.reading_low does not exist (or is not an ordinary or partitioned table)',
      ),
    );
    expect(() => selectTables(found, ['reading'])).toThrow(
      new InvalidInputError('tables', 'reading is not one of the mirrored tables'),
    );
  });
});
