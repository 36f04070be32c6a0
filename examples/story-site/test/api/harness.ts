/**
 * Shared set-up for the API tests: a fresh database with the fixture, the
 * server wired as `tandem serve` wires it, tokens for each role, a snapshot of
 * all ten tables (row count + md5 of the ordered rows), and the route table the
 * OpenAPI and auth tests walk.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createStorySiteServer } from '../../src/api/storySiteApi.js';
import type pg from 'pg';
import type { AppDeps, WriteRunner } from '../../src/app/ports.js';
import { PostgresReadPaths } from '../../src/app/reads/postgres.js';
import type { ReadPaths } from '../../src/app/reads/types.js';
import { APP_TABLES, createAppSchema } from '../../src/app/schema.js';
import { TransactionRunner } from '../../src/app/transactionRunner.js';
import { SampleUserDirectory } from '../../src/app/userDirectory.js';
import {
  DEFAULT_TOOL_SCHEMA,
  type Logger,
  type Queryable,
  silentLogger,
  type TokenEntry,
} from 'tandem';
import { createTestDatabase, type Backend, type TestDatabase } from '../../../../test/support/db.js';
import { insertReadFixture } from './fixture.js';
import { WRITE_SOURCE_HEADER } from '../../src/api/writeSource.js';

export const TOKENS: Record<string, TokenEntry> = {
  'reader-token-0001': { userId: 3, role: 'reader' },
  'editor-token-0001': { userId: 1, role: 'editor' },
  'admin-token-00001': { userId: 2, role: 'admin' },
};

export const AS = {
  anonymous: {},
  reader: { authorization: 'Bearer reader-token-0001' },
  editor: { authorization: 'Bearer editor-token-0001' },
  admin: { authorization: 'Bearer admin-token-00001' },
  unknown: { authorization: 'Bearer not-a-known-token' },
} as const;
export type Caller = keyof typeof AS;

export interface ApiHarness {
  db: TestDatabase;
  app: FastifyInstance;
  call(
    caller: Caller,
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
  ): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  body: unknown;
}

export async function startApi(
  backend: Backend,
  options: {
    reads?: (real: ReadPaths) => ReadPaths;
    bodyLimit?: number;
    /** Runs after the fixture, before the server starts (e.g. capture install). */
    prepare?: (pool: pg.Pool) => Promise<void>;
    runner?: (pool: pg.Pool) => WriteRunner;
    tokens?: Record<string, TokenEntry>;
    logger?: Logger;
  } = {},
): Promise<ApiHarness> {
  const db = await createTestDatabase(backend);
  await createAppSchema(db.pool);
  await insertReadFixture(db.pool);
  await options.prepare?.(db.pool);
  const deps: AppDeps = {
    pool: db.pool,
    runner: options.runner?.(db.pool) ?? new TransactionRunner(db.pool),
    users: new SampleUserDirectory(),
  };
  const real = new PostgresReadPaths(db.pool);
  const app = createStorySiteServer({ tool: DEFAULT_TOOL_SCHEMA,
    deps,
    reads: options.reads ? options.reads(real) : real,
    tokens: { ...TOKENS, ...options.tokens },
    logger: options.logger ?? silentLogger,
    bodyLimit: options.bodyLimit,
  });
  await app.ready();
  return {
    db,
    app,
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
      return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export type TableSnapshot = Record<string, { rows: number; md5: string }>;

/** Row count and md5 of every app table's rows in a fixed order: any change to any row shows. */
export async function snapshotTables(db: Queryable): Promise<TableSnapshot> {
  const out: TableSnapshot = {};
  for (const table of APP_TABLES) {
    const { rows } = await db.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5
         FROM "${table}" t`,
    );
    out[table] = rows[0]!;
  }
  return out;
}

export interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI path template. */
  path: string;
  /** A concrete URL for the fixture. */
  url: string;
  access: 'anonymous' | 'reader' | 'editor' | 'admin';
}

export const READ_ROUTES: RouteCase[] = [
  { method: 'GET', path: '/api/courses', url: '/api/courses', access: 'anonymous' },
  {
    method: 'GET',
    path: '/api/courses/{short}/stories',
    url: '/api/courses/es-en/stories',
    access: 'anonymous',
  },
  { method: 'GET', path: '/api/stories/{id}', url: '/api/stories/1', access: 'anonymous' },
  {
    method: 'GET',
    path: '/api/users/{userId}/courses/{courseId}/done',
    // The reader's own history (its token's user is 3); others' is refused (visibility tests).
    url: '/api/users/3/courses/1/done',
    access: 'reader',
  },
  { method: 'GET', path: '/api/editor/courses', url: '/api/editor/courses', access: 'editor' },
  {
    method: 'GET',
    path: '/api/editor/courses/{id}',
    url: '/api/editor/courses/1',
    access: 'editor',
  },
  {
    method: 'GET',
    path: '/api/stats/{year}/{month}',
    url: '/api/stats/2024/3',
    access: 'anonymous',
  },
  { method: 'GET', path: '/api/languages/{id}', url: '/api/languages/1', access: 'anonymous' },
  {
    method: 'GET',
    path: '/api/languages/{id}/localization',
    url: '/api/languages/1/localization',
    access: 'anonymous',
  },
  {
    method: 'GET',
    path: '/api/languages/{id}/avatar-mappings',
    url: '/api/languages/1/avatar-mappings',
    access: 'anonymous',
  },
  { method: 'GET', path: '/api/images/{id}', url: '/api/images/img1', access: 'anonymous' },
];

export const WRITE_ROUTES: RouteCase[] = [
  { method: 'PUT', path: '/api/stories/{id}', url: '/api/stories/1', access: 'editor' },
  { method: 'PUT', path: '/api/stories', url: '/api/stories', access: 'editor' },
  { method: 'DELETE', path: '/api/stories/{id}', url: '/api/stories/1', access: 'editor' },
  {
    method: 'POST',
    path: '/api/courses/{courseId}/import/{storyId}',
    url: '/api/courses/2/import/1',
    access: 'editor',
  },
  {
    method: 'POST',
    path: '/api/stories/{id}/approval',
    url: '/api/stories/1/approval',
    access: 'editor',
  },
  { method: 'DELETE', path: '/api/approvals/{id}', url: '/api/approvals/1', access: 'admin' },
  {
    method: 'POST',
    path: '/api/stories/{id}/toggle-published',
    url: '/api/stories/1/toggle-published',
    access: 'admin',
  },
  {
    method: 'POST',
    path: '/api/stories/{id}/done',
    url: '/api/stories/1/done',
    access: 'anonymous',
  },
  { method: 'POST', path: '/api/courses', url: '/api/courses', access: 'admin' },
  { method: 'PUT', path: '/api/courses/{id}', url: '/api/courses/1', access: 'admin' },
  { method: 'POST', path: '/api/languages', url: '/api/languages', access: 'admin' },
  { method: 'PUT', path: '/api/languages/{id}', url: '/api/languages/1', access: 'admin' },
  {
    method: 'PUT',
    path: '/api/languages/{id}/default-text',
    url: '/api/languages/1/default-text',
    access: 'editor',
  },
  {
    method: 'PUT',
    path: '/api/languages/{id}/tts-replace',
    url: '/api/languages/1/tts-replace',
    access: 'editor',
  },
  { method: 'PUT', path: '/api/avatar-mappings', url: '/api/avatar-mappings', access: 'editor' },
  { method: 'PUT', path: '/api/localizations', url: '/api/localizations', access: 'editor' },
  { method: 'PUT', path: '/api/images/{id}', url: '/api/images/img1', access: 'admin' },
  { method: 'POST', path: '/api/avatars', url: '/api/avatars', access: 'admin' },
  { method: 'PUT', path: '/api/avatars/{id}', url: '/api/avatars/1', access: 'admin' },
  { method: 'POST', path: '/api/speakers', url: '/api/speakers', access: 'admin' },
  { method: 'PUT', path: '/api/speakers/{id}', url: '/api/speakers/1', access: 'admin' },
];

export const SYSTEM_ROUTES: RouteCase[] = [
  { method: 'GET', path: '/healthz', url: '/healthz', access: 'anonymous' },
  { method: 'GET', path: '/readyz', url: '/readyz', access: 'anonymous' },
  { method: 'GET', path: '/api/openapi.json', url: '/api/openapi.json', access: 'anonymous' },
];

/** A write's answer as the live-traffic tests record it: status, which store wrote it, and the body. */
export interface WriteAck {
  status: number;
  source: string | undefined;
  body: Record<string, unknown>;
}

/** Sends one write through the API (as the token's user, or anonymous) and records its answer. */
export async function sendWrite(
  app: FastifyInstance,
  method: 'POST' | 'PUT',
  url: string,
  token?: string,
  payload?: Record<string, unknown>,
): Promise<WriteAck> {
  const res = await app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return {
    status: res.statusCode,
    source: res.headers[WRITE_SOURCE_HEADER.toLowerCase()] as string | undefined,
    body: res.json() as Record<string, unknown>,
  };
}
