/**
 * Each test file gets a database of its own: a fresh database on the real
 * PostgreSQL server (kept on failure for inspection when TANDEM_KEEP_TEST_DB=1),
 * or an in-memory PGlite served over the wire protocol.
 *
 * TANDEM_TEST_PG_URL points at the server's maintenance database
 * (default postgres://postgres@127.0.0.1:5432/postgres). When it cannot be
 * reached the real-server suites are skipped, unless TANDEM_REQUIRE_POSTGRES=1
 * (CI), in which case they fail.
 *
 * TANDEM_TEST_BACKENDS (comma-separated: pglite, postgres) narrows the backends
 * a suite runs on. Mutation runs use it to test database-bound modules on the
 * real server only, which halves the cost of each mutant (docs/testing.md).
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { createPool, type Database } from '../../src/postgres/database.js';
import { startEmbeddedPostgres } from '../../src/postgres/embedded.js';

export type Backend = 'postgres' | 'pglite';

const adminUrl = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let postgresReachable: Promise<boolean> | undefined;

export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (err) {
      if (process.env.TANDEM_REQUIRE_POSTGRES === '1') {
        throw new Error(`TANDEM_REQUIRE_POSTGRES=1 but ${adminUrl} is unreachable: ${(err as Error).message}`, {
          cause: err,
        });
      }
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresReachable;
}

/**
 * The backends a suite should run on: PGlite, and real PostgreSQL when
 * reachable, narrowed by TANDEM_TEST_BACKENDS. Throws when the narrowing leaves
 * none (an empty run would pass while testing nothing).
 */
export async function availableBackends(): Promise<Backend[]> {
  const reachable: Backend[] = (await isPostgresReachable()) ? ['pglite', 'postgres'] : ['pglite'];
  const wanted = process.env.TANDEM_TEST_BACKENDS;
  if (!wanted) return reachable;
  const names = wanted.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => name !== 'pglite' && name !== 'postgres');
  if (unknown.length > 0) throw new Error(`TANDEM_TEST_BACKENDS names unknown backends: ${unknown.join(', ')}`);
  const chosen = reachable.filter((backend) => names.includes(backend));
  if (chosen.length === 0) {
    throw new Error(`TANDEM_TEST_BACKENDS=${wanted} leaves no backend (reachable: ${reachable.join(', ')})`);
  }
  return chosen;
}

export interface TestDatabase extends Database {
  url: string;
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `tandem_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 20);
  return {
    pool,
    kind: 'postgres',
    url: url.toString(),
    describe: url.toString(),
    async close() {
      await pool.end();
      if (process.env.TANDEM_KEEP_TEST_DB === '1') return;
      const drop = new pg.Client({ connectionString: adminUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await drop.end();
    },
  };
}

async function createPgliteDatabase(): Promise<TestDatabase> {
  const embedded = await startEmbeddedPostgres({ dataDir: 'memory://' });
  const pool = createPool(embedded.url, 10);
  return {
    pool,
    kind: 'pglite',
    url: embedded.url,
    describe: embedded.url,
    async close() {
      await pool.end();
      await embedded.stop();
    },
  };
}

export function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  return backend === 'postgres' ? createPostgresDatabase() : createPgliteDatabase();
}
