/**
 * A partitioned table is captured by one trigger on its parent: Postgres
 * clones it onto every partition, also one created or attached after the
 * install. Events name the parent, keys agree across partitions, an UPDATE
 * that moves a row to another partition nets out right, and the backfill and
 * parity read the parent (every partition).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureStatus, installCapture, uninstallCapture } from '../../src/capture/index.js';
import { mirrorConfigFromCatalog } from '../../src/convex/codegen/mirrorConfigFromCatalog.js';
import { InvalidInputError } from '../../src/core/errors.js';
import {
  canonicalHash,
  mapChange,
  requireTable,
  type MirrorConfig,
  type TableConfig,
} from '../../src/mapping/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { compareKeyText } from '../../src/parity/digest.js';
import { runParity } from '../../src/parity/runParity.js';
import { MemoryCopyReader } from '../../bench/parity/memoryCopyReader.js';
import { readCatalog } from '../../src/postgres/catalog/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { RENTAL_DDL } from '../fixtures/rental.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { backfilledRows, canonicalColumns, parityRows } from '../support/readPaths.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

interface OutboxRow {
  seq: string;
  table_name: string;
  key: string;
  op: 'insert' | 'update' | 'delete';
  row: Record<string, unknown> | null;
}

/** What a versioned apply leaves in Convex after every event, in seq order: mapped documents by key. */
function appliedDocs(
  events: OutboxRow[],
  config: MirrorConfig,
): Map<string, Record<string, unknown>> {
  const docs = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const change = mapChange(
      {
        seq: Number(e.seq),
        txid: '1',
        table: e.table_name,
        key: e.key,
        op: e.op,
        row: e.row,
        operationKey: null,
      },
      config,
    );
    if (change.op === 'delete') docs.delete(change.key);
    else docs.set(change.key, change.doc!);
  }
  return docs;
}

describe.each(backends)('partitioned tables [%s]', (backend) => {
  let db: TestDatabase;
  let config: MirrorConfig;
  let rental: TableConfig;
  const outbox = async () =>
    (
      await db.pool.query<OutboxRow>(
        `SELECT seq::text, table_name, key, op, "row" FROM tandem.outbox ORDER BY seq`,
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(RENTAL_DDL);
    const catalog = await readCatalog(db.pool, 'public');
    expect(catalog.tables.map((t) => [t.name, t.kind])).toEqual([['rental', 'partitioned']]);
    config = mirrorConfigFromCatalog(catalog, parseProjectConfig({ schema: 'public' }, null)).config;
    rental = requireTable(config, 'rental');
  });

  afterAll(async () => {
    await db?.close();
  });

  it('refuses a partition, naming its parent', async () => {
    await expect(
      installCapture(db.pool, { ...storySiteCapture(), tables: ['rental_2023'], mirror: config }),
    ).rejects.toThrow(
      new InvalidInputError(
        'tables',
        '"rental_2023" is a partition of "rental": capture the partitioned table, whose trigger covers every partition',
      ),
    );
  });

  it('captures every partition, including ones created or attached after the install, under the parent’s name', async () => {
    expect(await installCapture(db.pool, { ...storySiteCapture(), tables: ['rental'], mirror: config })).toEqual([
      {
        table: 'rental',
        action: 'installed',
        keyColumns: ['rental_id', 'rented_at'],
        textColumns: ['amount'],
      },
    ]);
    await db.pool.query(
      `CREATE TABLE rental_2025 PARTITION OF rental FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2026-01-01 00:00+00')`,
    );
    await db.pool.query(`CREATE TABLE rental_2026 (LIKE rental INCLUDING ALL)`);
    await db.pool.query(
      `ALTER TABLE rental ATTACH PARTITION rental_2026 FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2027-01-01 00:00+00')`,
    );
    await db.pool.query(`
      INSERT INTO rental VALUES
        (1, '2023-05-01 10:00:00.5+00', 1.50), (2, '2024-05-01 10:00+00', 2.00),
        (3, '2025-05-01 10:00+00', 3.25), (4, '2026-05-01 10:00:00.000001+00', 4.00);
      UPDATE rental SET amount = 9.99 WHERE rental_id = 4;
      DELETE FROM rental WHERE rental_id = 2;`);
    const events = await outbox();
    expect(events.map((e) => [e.table_name, e.op, e.key])).toEqual([
      ['rental', 'insert', '["1","2023-05-01T10:00:00.5"]'],
      ['rental', 'insert', '["2","2024-05-01T10:00:00"]'],
      ['rental', 'insert', '["3","2025-05-01T10:00:00"]'],
      ['rental', 'insert', '["4","2026-05-01T10:00:00.000001"]'],
      ['rental', 'update', '["4","2026-05-01T10:00:00.000001"]'],
      ['rental', 'delete', '["2","2024-05-01T10:00:00"]'],
    ]);
    const status = await captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, config);
    expect(
      status.filter((s) => s.table.startsWith('rental')).map((s) => [s.table, s.state]),
    ).toEqual([['rental', 'enabled']]);
    // Installing again changes nothing: the clones on the partitions are not separate captures.
    expect((await installCapture(db.pool, { ...storySiteCapture(), tables: ['rental'], mirror: config }))[0]!.action).toBe(
      'unchanged',
    );
  });

  it('refuses to install while a partition has a capture trigger of its own, installing nothing', async () => {
    // (While the parent is captured, Postgres itself refuses to attach such a table.)
    await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', tables: ['rental'] });
    await db.pool.query(`CREATE TABLE rental_2027 (LIKE rental INCLUDING ALL)`);
    await installCapture(db.pool, { ...storySiteCapture(), tables: ['rental_2027'], mirror: config });
    await db.pool.query(
      `ALTER TABLE rental ATTACH PARTITION rental_2027 FOR VALUES FROM ('2027-01-01 00:00+00') TO ('2028-01-01 00:00+00')`,
    );
    await expect(installCapture(db.pool, { ...storySiteCapture(), tables: ['rental'], mirror: config })).rejects.toThrow(
      new InvalidInputError(
        'tables',
        'partition "rental_2027" of "rental" has a capture trigger of its own (captured before it was attached): run `tandem capture uninstall --tables rental_2027` first',
      ),
    );
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'tandem_capture' AND tgrelid = 'rental'::regclass`,
    );
    expect(rows[0].n).toBe(0);
    await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', tables: ['rental_2027'] });
    expect((await installCapture(db.pool, { ...storySiteCapture(), tables: ['rental'], mirror: config }))[0]!.action).toBe(
      'installed',
    );
    await db.pool.query(`ALTER TABLE rental DETACH PARTITION rental_2027; DROP TABLE rental_2027`);
  });

  it('moves a row between partitions by an update of the partition key: Convex ends with the new key only', async () => {
    await db.pool.query(`UPDATE rental SET rented_at = '2025-02-01 00:00+00' WHERE rental_id = 1`);
    const moved = (await outbox()).slice(-2);
    expect(moved.map((e) => [e.op, e.key])).toEqual([
      ['delete', '["1","2023-05-01T10:00:00.5"]'],
      ['insert', '["1","2025-02-01T00:00:00"]'],
    ]);
    const applied = appliedDocs(await outbox(), config);
    const parity = await parityRows(db.pool, rental);
    expect([...applied.keys()].sort()).toEqual([...parity.keys()].sort());
    for (const [key, row] of parity)
      expect(canonicalColumns(applied.get(key)!), key).toEqual(canonicalColumns(row.columns));
    // The backfill reads the parent: every partition, the same keys and values.
    const backfilled = await backfilledRows(db.pool, rental, config);
    expect([...backfilled.keys()].sort()).toEqual([...parity.keys()].sort());
    for (const [key, row] of backfilled)
      expect(canonicalColumns(row.columns), key).toEqual(
        canonicalColumns(parity.get(key)!.columns),
      );
  });

  it('runs a full parity across partitions: clean, then finds drift made behind capture by its exact keys', async () => {
    // Convex as the outbox leaves it (every event delivered), as a parity reader double.
    await db.pool.query(
      `UPDATE tandem.outbox SET status = 'done', processed_at = now() WHERE status = 'pending'`,
    );
    const reader = new MemoryCopyReader(0);
    const docs = [...appliedDocs(await outbox(), config)].sort(([a], [b]) => compareKeyText(a, b));
    for (const [key, columns] of docs) {
      reader.push(key, canonicalHash(rental, columns, STORY_SITE_TABLES));
      reader.columnsByKey.set(key, columns);
    }
    const options = { config, tables: ['rental'], mode: 'full' as const, record: false };
    const clean = await runParity(db.pool, DEFAULT_TOOL_SCHEMA, reader, options);
    expect(clean.tables.rental).toMatchObject({
      pgRows: 3,
      convexRows: 3,
      compared: 3,
      clean: true,
    });

    const client = await db.pool.connect();
    try {
      await client.query(`BEGIN; SET LOCAL session_replication_role = replica;
        UPDATE rental SET amount = 0 WHERE rental_id = 3;
        INSERT INTO rental VALUES (5, '2026-06-01 00:00:00.25+00', 5.00);
        DELETE FROM rental WHERE rental_id = 4; COMMIT;`);
    } finally {
      client.release();
    }
    const drift = (await runParity(db.pool, DEFAULT_TOOL_SCHEMA, reader, options)).tables.rental!;
    expect([drift.missing, drift.extra, drift.different]).toEqual([
      [[5, '2026-06-01T00:00:00.25']],
      [[4, '2026-05-01T10:00:00.000001']],
      [[3, '2025-05-01T10:00:00']],
    ]);
  });

  it('uninstalls from the parent and every partition', async () => {
    expect(await uninstallCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, schema: 'public', tables: ['rental'] })).toEqual([
      { table: 'rental', action: 'removed' },
    ]);
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'tandem_capture'`,
    );
    expect(rows[0].n).toBe(0);
  });
});
