/**
 * A control room over one of two applications unlike each other: the film
 * rental example (no config: uuid, composite and partitioned keys) and the
 * story site (its config). Tool schema migrated, capture installed before the
 * seed, so the seed's rows are pending in the outbox; the HTTP host with the
 * control room and no application routes, with a clock the tests move.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/http/server.js';
import { databaseReadiness } from '../../src/http/routes/system.js';
import { createAppSchema, loadStorySiteConfig } from '../../examples/story-site/src/app/schema.js';
import { installCapture } from '../../src/capture/index.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { ControlRoom, type ControlRoomOptions } from '../../src/controlRoom/controlRoom.js';
import { secretsOf } from '../../src/controlRoom/redact.js';
import { discoverMirror } from '../../src/discovery/discoverMirror.js';
import { silentLogger } from '../../src/log.js';
import type { MirrorConfig } from '../../src/mapping/index.js';
import { migrate } from '../../src/postgres/migrate.js';
import { AS, TOKENS, type Caller } from '../../examples/story-site/test/api/harness.js';
import { seedFixture } from '../support/appFixture.js';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export { AS, TOKENS, type Caller };
export type AppName = 'film-rental' | 'story-site';
export const APPS: AppName[] = ['film-rental', 'story-site'];

/** One captured row change per app: a plain UPDATE of one row behind the application's back. Returns its table. */
const ONE_WRITE: Record<AppName, { table: string; sql: string }> = {
  'film-rental': { table: 'film', sql: `UPDATE film SET title = title || '!' WHERE film_id = 1` },
  'story-site': {
    table: 'language',
    sql: `UPDATE language SET name = name || '!' WHERE id = (SELECT min(id) FROM language)`,
  },
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ControlRoomHarness {
  db: TestDatabase;
  mirror: MirrorConfig;
  room: ControlRoom;
  app: FastifyInstance;
  /** The clock the control room reads; tests set it. */
  clock: { now: Date };
  /** Writes one row of the app (captured); returns the table written. */
  writeOne(): Promise<string>;
  call(
    caller: Caller,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field against literals
  ): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

async function prepareApp(db: TestDatabase, name: AppName): Promise<MirrorConfig> {
  if (name === 'film-rental') {
    await db.pool.query(
      fs.readFileSync(path.join(root, 'examples/film-rental/schema.sql'), 'utf8'),
    );
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    const { mirror } = await discoverMirror(db.pool, parseProjectConfig({}, null));
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, mirror, tables: mirror.tables.map((t) => t.name) });
    await db.pool.query(fs.readFileSync(path.join(root, 'examples/film-rental/seed.sql'), 'utf8'));
    return mirror;
  }
  await createAppSchema(db.pool);
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  const { mirror } = await discoverMirror(db.pool, await loadStorySiteConfig());
  await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, mirror, tables: mirror.tables.map((t) => t.name) });
  await seedFixture(db.pool);
  return mirror;
}

export async function startControlRoom(
  backend: Backend,
  appName: AppName,
  options: Partial<ControlRoomOptions> = {},
): Promise<ControlRoomHarness> {
  const db = await createTestDatabase(backend);
  const mirror = await prepareApp(db, appName);
  const clock = { now: new Date() };
  const room = new ControlRoom({ tool: DEFAULT_TOOL_SCHEMA,
    pool: db.pool,
    mirror,
    log: silentLogger,
    now: () => clock.now,
    slowRefreshMs: 0,
    ...options,
  });
  // The HTTP host with no application routes, as `tandem serve` runs for an app without a plug-in.
  const app = createApiServer({
    readiness: () => databaseReadiness(db.pool, DEFAULT_TOOL_SCHEMA),
    tokens: TOKENS,
    logger: silentLogger,
    controlRoom: { room, secrets: secretsOf([...Object.keys(TOKENS), db.url]) },
  });
  await app.ready();
  return {
    db,
    mirror,
    room,
    app,
    clock,
    async writeOne() {
      const { table, sql } = ONE_WRITE[appName];
      const { rowCount } = await db.pool.query(sql);
      if (rowCount !== 1) throw new Error(`${appName}: the write changed ${rowCount} rows`);
      return table;
    },
    async call(caller, method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: {
          ...AS[caller],
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return {
        status: res.statusCode,
        text: res.body,
        body: res.body === '' ? undefined : res.json(),
      };
    },
    async close() {
      await room.stop();
      await app.close();
      await db.close();
    },
  };
}
