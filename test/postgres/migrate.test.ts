import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureStatus, installCapture } from '../../src/capture/index.js';
import { createPool } from '../../src/postgres/database.js';
import {
  loadMigrations,
  migrate,
  requireSchema,
  schemaStatus,
  SchemaOutOfDateError,
} from '../../src/postgres/migrate.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { STORY_SITE_TABLES, storySiteCapture } from '../support/storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
/** Every migration this build ships; a new migration file is added here too. */
const EXPECTED = [
  { version: 1, name: 'tool_schema' },
  { version: 2, name: 'capture' },
  { version: 3, name: 'backfill' },
  { version: 4, name: 'parity' },
  { version: 5, name: 'capture_cost' },
  { version: 6, name: 'unchanged_columns' },
  { version: 7, name: 'invariant_suites' },
  { version: 8, name: 'table_pause' },
  { version: 9, name: 'phases' },
  { version: 10, name: 'read_flags' },
  { version: 11, name: 'alerts' },
  { version: 12, name: 'metric_samples' },
  { version: 13, name: 'write_stages' },
  { version: 14, name: 'reverse_sync' },
  { version: 15, name: 'read_instances' },
  { version: 16, name: 'relay_claims' },
  { version: 17, name: 'reverse_sync_page' },
  { version: 18, name: 'frozen_write_refusals' },
  { version: 19, name: 'relay_claim_functions' },
  { version: 20, name: 'reverse_sync_dead_letter_text' },
  { version: 21, name: 'capture_heavy_listed' },
  { version: 22, name: 'shadow_skipped' },
];
const ALL = EXPECTED.map((m) => m.version);
const LATEST = ALL.at(-1)!;

describe('migration files', () => {
  it('are numbered 1..n without gaps and named', () => {
    expect(loadMigrations().map((m) => ({ version: m.version, name: m.name }))).toEqual(EXPECTED);
    expect(DEFAULT_TOOL_SCHEMA.name).toBe('tandem');
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
    expect(await schemaStatus(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({ current: 0, latest: LATEST, pending: EXPECTED });
    const err = await requireSchema(db.pool, DEFAULT_TOOL_SCHEMA).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaOutOfDateError);
    expect((err as Error).message).toBe(
      'schema: Tandem\'s schema "tandem" is not installed; run `npx tandem init`',
    );
    await expect(installCapture(db.pool, { ...storySiteCapture() })).rejects.toBeInstanceOf(SchemaOutOfDateError);
    await expect(captureStatus(db.pool, DEFAULT_TOOL_SCHEMA, STORY_SITE_TABLES)).rejects.toBeInstanceOf(SchemaOutOfDateError);
  });

  it('applies every migration from scratch, then is a no-op', async () => {
    expect(await migrate(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual(ALL);
    expect(await schemaStatus(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({ current: LATEST, latest: LATEST, pending: [] });
    expect(await requireSchema(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({ current: LATEST, latest: LATEST, pending: [] });
    expect(await migrate(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    const { rows } = await db.pool.query(
      'SELECT version, name FROM tandem.schema_version ORDER BY version',
    );
    expect(rows).toEqual(EXPECTED);
    const tables = await db.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tandem' ORDER BY 1`,
    );
    // The capture migrations' objects (later migrations' are tested with their features).
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'audit_log',
        'captured_table',
        'checkpoint',
        'dead_letter',
        'outbox',
        'schema_version',
        'untracked_write',
        'untracked_writes',
      ]),
    );
  });

  it('applies only what is missing after a partial upgrade', async () => {
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(`DELETE FROM tandem.schema_version WHERE version = $1`, [LATEST]);
    // Undo the latest migration (0022, shadow_skipped): the class check without 'skipped'.
    await db.pool.query(`ALTER TABLE tandem.shadow_count DROP CONSTRAINT shadow_count_class_check,
      ADD CONSTRAINT shadow_count_class_check CHECK (class IN ('match', 'lag', 'drift', 'error'))`);
    expect(await schemaStatus(db.pool, DEFAULT_TOOL_SCHEMA)).toMatchObject({
      current: LATEST - 1,
      pending: [EXPECTED.at(-1)],
    });
    await expect(requireSchema(db.pool, DEFAULT_TOOL_SCHEMA)).rejects.toThrow(
      `schema: Tandem's schema is at version ${LATEST - 1}, ${LATEST} is needed; run \`npx tandem init\``,
    );
    expect(await migrate(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([LATEST]);
    await db.pool.query(`INSERT INTO tandem.shadow_count (table_name, mode, class, count) VALUES ('t', 'ab', 'skipped', 1)`);
    await expect(db.pool.query(`INSERT INTO tandem.shadow_count (table_name, mode, class, count) VALUES ('t', 'ab', 'late', 1)`))
      .rejects.toThrow('shadow_count_class_check');
  });

  it('refuses a database migrated by a newer Tandem', async () => {
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    await db.pool.query(
      `INSERT INTO tandem.schema_version (version, name) VALUES ($1, 'from_the_future')`,
      [LATEST + 1],
    );
    await expect(requireSchema(db.pool, DEFAULT_TOOL_SCHEMA)).rejects.toThrow(
      `schema: Tandem's schema is at version ${LATEST + 1}, newer than this build knows (${LATEST}); upgrade tandem`,
    );
    expect(await migrate(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
  });

  if (backend === 'postgres') {
    it('two processes migrating at once apply each migration exactly once', async () => {
      const pools = [createPool(db.url, 2), createPool(db.url, 2), createPool(db.url, 2)];
      try {
        // A few rounds: which process wins each lock varies from run to run.
        for (let round = 0; round < 3; round++) {
          await db.pool.query('DROP SCHEMA IF EXISTS tandem CASCADE');
          const results = await Promise.all(pools.map((pool) => migrate(pool, DEFAULT_TOOL_SCHEMA)));
          expect(results.flat().sort((a, b) => a - b)).toEqual(ALL);
          const { rows } = await db.pool.query(
            'SELECT version FROM tandem.schema_version ORDER BY version',
          );
          expect(rows).toEqual(ALL.map((version) => ({ version })));
          expect(await schemaStatus(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual({
            current: LATEST,
            latest: LATEST,
            pending: [],
          });
        }
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
    });
  }
});
