/**
 * A dedicated database per benchmark run on the real PostgreSQL server
 * (`tandem_bench_<random>`), dropped at the end even when the run fails, so
 * runs never see each other's rows or bloat.
 *
 * TANDEM_BENCH_PG_URL points at the server's maintenance database
 * (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { createPool } from '../../src/postgres/database.js';

export const ADMIN_URL =
  process.env.TANDEM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database and a pool of `poolSize` connections to it. */
export async function createBenchDatabase(poolSize: number): Promise<BenchDatabase> {
  const name = `tandem_bench_${crypto.randomBytes(5).toString('hex')}`;
  // The name is generated here from hex digits only, so quoting it once is enough.
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), poolSize);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      await admin((c) =>
        c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

/** Runs `work` with fresh databases, dropping all of them afterwards (also on error or Ctrl-C). */
export async function withBenchDatabases<T>(
  count: number,
  poolSize: number,
  work: (dbs: BenchDatabase[]) => Promise<T>,
): Promise<T> {
  const dbs: BenchDatabase[] = [];
  const dropAll = () => Promise.all(dbs.map((db) => db.drop()));
  const onSignal = () => {
    void dropAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    for (let i = 0; i < count; i++) dbs.push(await createBenchDatabase(poolSize));
    return await work(dbs);
  } finally {
    process.off('SIGINT', onSignal);
    await dropAll();
  }
}
