/**
 * A database with the all-types fixture (test/fixtures/allTypes.ts), its mirror
 * configuration built from the live catalog, capture installed, and the rows
 * written from a session in another time zone (keys and values must not
 * depend on it).
 */
import { installCapture } from '../../src/capture/index.js';
import { mirrorConfigFromCatalog } from '../../src/convex/codegen/mirrorConfigFromCatalog.js';
import { requireTable, type MirrorConfig, type TableConfig } from '../../src/mapping/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { readCatalog } from '../../src/postgres/catalog/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import {
  ALL_KEY_TYPES_ROWS,
  ALL_TYPES_DDL,
  ALL_TYPES_ROWS,
  ALL_TYPES_TABLE,
} from '../fixtures/allTypes.js';
import { createTestDatabase, type Backend, type TestDatabase } from './db.js';
import { storySiteCapture } from './storySiteMirror.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export interface AllTypesDatabase {
  db: TestDatabase;
  config: MirrorConfig;
  /** all_types */
  table: TableConfig;
}

export async function openAllTypesDatabase(backend: Backend): Promise<AllTypesDatabase> {
  const db = await createTestDatabase(backend);
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  await db.pool.query(ALL_TYPES_DDL);
  const catalog = await readCatalog(db.pool, 'public');
  const config = mirrorConfigFromCatalog(catalog, parseProjectConfig({ schema: 'public' }, null)).config;
  await installCapture(db.pool, { ...storySiteCapture(), tables: [ALL_TYPES_TABLE, 'all_key_types'], mirror: config });
  const client = await db.pool.connect();
  try {
    await client.query(
      `BEGIN; SET LOCAL TIME ZONE 'Asia/Kathmandu'; ${ALL_TYPES_ROWS} ${ALL_KEY_TYPES_ROWS} COMMIT;`,
    );
  } finally {
    client.release();
  }
  return { db, config, table: requireTable(config, ALL_TYPES_TABLE) };
}
