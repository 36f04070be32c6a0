/**
 * Opens the Postgres the configuration points at: DATABASE_URL, else the running
 * dev stack, else PGlite opened directly. Callers always get a node-postgres pool.
 */
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.js';
import { readDevStack } from './devStack.js';
import { startEmbeddedPostgres } from './embedded.js';

export type DatabaseKind = 'postgres' | 'dev-stack' | 'pglite';

export interface Database {
  pool: pg.Pool;
  kind: DatabaseKind;
  /** Connection URL without credentials, for messages. */
  describe: string;
  close(): Promise<void>;
}

/** Anything that can run a query: a pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export function embeddedDataDir(home: string): string {
  return path.join(home, 'pgdata');
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/**
 * A pool whose connections can drop without taking the process down. pg-pool
 * listens for an idle client's 'error' itself (re-emitted on the pool), but a
 * client checked out with `pool.connect()` (a transaction, a cursor, a lock)
 * has no listener while the caller holds it, and an 'error' event without a
 * listener ends the Node process. The caller already learns of the loss: its
 * pending query rejects, later queries reject ("not queryable"), and pg-pool
 * discards the broken client on release. So every client gets a listener for
 * its whole life, here where all of them are made, and `onConnectionError`
 * (default: ignore) hears each loss once.
 */
export function createPool(
  url: string,
  max = 10,
  onConnectionError: (err: Error) => void = () => undefined,
): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client losing its server (a restart): pg-pool re-emits it here.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      try {
        onConnectionError(err);
      } catch {
        // A failing reporter must not turn a handled loss into a crash.
      }
    });
  });
  return pool;
}

export async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) {
    const pool = createPool(config.databaseUrl);
    return { pool, kind: 'postgres', describe: redact(config.databaseUrl), close: () => pool.end() };
  }
  const dev = readDevStack(config.home);
  if (dev) {
    const pool = createPool(dev.pgUrl);
    return { pool, kind: 'dev-stack', describe: `dev stack at ${dev.pgUrl}`, close: () => pool.end() };
  }
  const dataDir = embeddedDataDir(config.home);
  const embedded = await startEmbeddedPostgres({ dataDir });
  const pool = createPool(embedded.url);
  return {
    pool,
    kind: 'pglite',
    describe: `PGlite at ${dataDir}`,
    async close() {
      await pool.end();
      await embedded.stop();
    },
  };
}

const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * node-postgres reports a lost or refused connection with plain Errors whose
 * only mark is the message; these are its wordings (pg/lib/client.js, pg-pool).
 */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];

/**
 * Postgres could not be reached or dropped the connection: the request may
 * work a moment later, and the work was not at fault. SQLSTATE class 08
 * (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot
 * connect now), 53300 (too many connections), the socket errors and
 * node-postgres's own messages for a lost connection.
 */
export function isDatabaseUnavailableError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_NODE_CODES.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code))
    return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/** Postgres aborted the transaction to break a deadlock or a serialization conflict: safe to run again. */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '40P01' || code === '40001';
}

/**
 * Runs `work` in one transaction, running it again (up to `attempts` times in
 * all) when Postgres aborted it for a deadlock or serialization failure. `work`
 * must therefore do nothing outside the transaction that cannot be repeated.
 */
export async function withRetriedTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
  options: TransactionOptions & { attempts?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, work, options);
    } catch (err) {
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

export interface TransactionOptions {
  /**
   * Transaction-local settings (`set_config(name, value, true)`, i.e. SET LOCAL),
   * sent in the same round trip as BEGIN: the operation key costs the write no
   * extra round trip.
   */
  settings?: Readonly<Record<string, string>>;
  /** One snapshot for the whole transaction (a consistent multi-page read), or serializable. */
  isolation?: 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

/** BEGIN plus the settings as one simple-protocol query (values escaped, never interpolated raw). */
function beginStatement(options: TransactionOptions): string {
  const settings = Object.entries(options.settings ?? {}).map(
    ([name, value]) => `SELECT set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, true)`,
  );
  const modes = [
    ...(options.isolation ? [`ISOLATION LEVEL ${options.isolation.toUpperCase()}`] : []),
    ...(options.readOnly ? ['READ ONLY'] : []),
  ];
  return [modes.length > 0 ? `BEGIN ${modes.join(', ')}` : 'BEGIN', ...settings].join('; ');
}

/**
 * Runs `work` in one transaction on its own client. Rolled back on any error.
 * Never open a second connection from inside `work`: on PGlite, statements are
 * serialized, so waiting on another connection there would deadlock.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(beginStatement(options));
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
