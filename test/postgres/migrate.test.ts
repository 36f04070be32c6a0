import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureStatus, installCapture } from '../../src/capture/index.js';
import { createPool } from '../../src/postgres/database.js';
import {
  loadMigrations,
  migrate,
  requireSchema,
  schemaStatus,
  SchemaOutOfDateError,
  TOOL_SCHEMA,
} from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const backends = await availableBackends();
const ALL = loadMigrations().map((m) => m.version);

describe('migration files', () => {
  it('are numbered 1..n without gaps and named', () => {
    expect(ALL).toEqual([1, 2]);
    expect(loadMigrations().map((m) => m.name)).toEqual(['tool_schema', 'capture']);
    expect(TOOL_SCHEMA).toBe('tandem');
  });
});

describe.each(backends)('migrate [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
  });
  beforeEach(async () => {
    await db.pool.query('DROP SCHEMA IF EXISTS tandem CASCADE');
  });
  afterAll(() => db?.close());

  it('reports everything pending and refuses to run before init', async () => {
    expect(await schemaStatus(db.pool)).toEqual({
      current: 0,
      latest: 2,
      pending: [
        { version: 1, name: 'tool_schema' },
        { version: 2, name: 'capture' },
      ],
    });
    const err = await requireSchema(db.pool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaOutOfDateError);
    expect((err as Error).message).toBe(
      'schema: Tandem\'s schema "tandem" is not installed; run `npx tandem init`',
    );
    await expect(installCapture(db.pool)).rejects.toBeInstanceOf(SchemaOutOfDateError);
    await expect(captureStatus(db.pool)).rejects.toBeInstanceOf(SchemaOutOfDateError);
  });

  it('applies every migration from scratch, then is a no-op', async () => {
    expect(await migrate(db.pool)).toEqual([1, 2]);
    expect(await schemaStatus(db.pool)).toEqual({ current: 2, latest: 2, pending: [] });
    expect(await requireSchema(db.pool)).toEqual({ current: 2, latest: 2, pending: [] });
    expect(await migrate(db.pool)).toEqual([]);
    const { rows } = await db.pool.query('SELECT version, name FROM tandem.schema_version ORDER BY version');
    expect(rows).toEqual([
      { version: 1, name: 'tool_schema' },
      { version: 2, name: 'capture' },
    ]);
    const tables = await db.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tandem' ORDER BY 1`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'audit_log',
      'captured_table',
      'checkpoint',
      'dead_letter',
      'outbox',
      'schema_version',
      'untracked_write',
      'untracked_writes',
    ]);
  });

  it('applies only what is missing after a partial upgrade', async () => {
    await migrate(db.pool);
    await db.pool.query(`DELETE FROM tandem.schema_version WHERE version = 2`);
    await db.pool.query('DROP FUNCTION tandem.capture_change() CASCADE');
    expect(await schemaStatus(db.pool)).toMatchObject({ current: 1, pending: [{ version: 2, name: 'capture' }] });
    await expect(requireSchema(db.pool)).rejects.toThrow(
      "schema: Tandem's schema is at version 1, 2 is needed; run `npx tandem init`",
    );
    expect(await migrate(db.pool)).toEqual([2]);
    const { rows } = await db.pool.query(`SELECT to_regprocedure('tandem.capture_change()') IS NOT NULL AS present`);
    expect(rows[0].present).toBe(true);
  });

  it('refuses a database migrated by a newer Tandem', async () => {
    await migrate(db.pool);
    await db.pool.query(`INSERT INTO tandem.schema_version (version, name) VALUES (3, 'from_the_future')`);
    await expect(requireSchema(db.pool)).rejects.toThrow(
      "schema: Tandem's schema is at version 3, newer than this build knows (2); upgrade tandem",
    );
    expect(await migrate(db.pool)).toEqual([]);
  });

  if (backend === 'postgres') {
    it('two processes migrating at once apply each migration exactly once', async () => {
      const pools = [createPool(db.url, 2), createPool(db.url, 2), createPool(db.url, 2)];
      try {
        // A few rounds: which process wins each lock varies from run to run.
        for (let round = 0; round < 3; round++) {
          await db.pool.query('DROP SCHEMA IF EXISTS tandem CASCADE');
          const results = await Promise.all(pools.map((pool) => migrate(pool)));
          expect(results.flat().sort()).toEqual([1, 2]);
          const { rows } = await db.pool.query('SELECT version FROM tandem.schema_version ORDER BY version');
          expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
          expect(await schemaStatus(db.pool)).toEqual({ current: 2, latest: 2, pending: [] });
        }
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
    });
  }
});
