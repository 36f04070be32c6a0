import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadPaths } from '../../src/app/reads/types.js';
import { availableBackends } from '../../../../test/support/db.js';
import {
  READ_ROUTES,
  SYSTEM_ROUTES,
  WRITE_ROUTES,
  snapshotTables,
  startApi,
  type ApiHarness,
  type Caller,
  type RouteCase,
} from './harness.js';

const backends = await availableBackends();

const RANK = { anonymous: 0, reader: 1, editor: 2, admin: 3 } as const;

/** What the auth layer answers before any input is looked at; undefined = it lets the call through. */
function expectedAuthStatus(route: RouteCase, caller: Caller): 401 | 403 | undefined {
  if (caller === 'unknown') return 401;
  if (route.access === 'anonymous') return undefined;
  if (caller === 'anonymous') return 401;
  return RANK[caller] < RANK[route.access] ? 403 : undefined;
}

/** Makes monthlyStats fail the way a bug would, to check the 500 envelope. */
function failingReads(real: ReadPaths): ReadPaths {
  const reads = Object.create(real) as ReadPaths;
  reads.monthlyStats = () =>
    Promise.reject(new Error('relation "secret_table" at /srv/app.ts:12'));
  return reads;
}

describe.each(backends)('API auth, errors and OpenAPI [%s]', (backend) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi(backend, { reads: failingReads, bodyLimit: 64 * 1024 });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses callers below each write route’s role, and unknown tokens, changing nothing', async () => {
    const before = await snapshotTables(api.db.pool);
    const callers: Caller[] = ['unknown', 'anonymous', 'reader', 'editor'];
    let refused = 0;
    for (const route of WRITE_ROUTES) {
      for (const caller of callers) {
        const expected = expectedAuthStatus(route, caller);
        if (expected === undefined) continue;
        const res = await api.call(
          caller,
          route.method,
          route.url,
          route.method === 'GET' ? undefined : {},
        );
        const code = expected === 401 ? 'unauthenticated' : 'forbidden';
        expect(res, `${caller} ${route.method} ${route.url}`).toMatchObject({
          status: expected,
          body: { error: { code } },
        });
        refused += 1;
      }
    }
    // 21 routes × unknown; 20 × anonymous; reader on 20; editor on the 11 admin routes.
    expect(refused).toBe(21 + 20 + 20 + 11);
    expect(await snapshotTables(api.db.pool)).toEqual(before);
  });

  it('lets each role read what it may', async () => {
    for (const route of READ_ROUTES.filter((r) => r.url !== '/api/stats/2024/3')) {
      for (const caller of ['anonymous', 'reader', 'editor', 'admin', 'unknown'] as const) {
        const res = await api.call(caller, 'GET', route.url);
        const expected = expectedAuthStatus(route, caller) ?? 200;
        expect(res.status, `${caller} GET ${route.url}`).toBe(expected);
      }
    }
  });

  it('accepts an anonymous "story done" and records it without a user', async () => {
    expect(await api.call('anonymous', 'POST', '/api/stories/6/done')).toEqual({
      status: 201,
      body: { id: 101 },
    });
    const { rows } = await api.db.pool.query(
      'SELECT user_id, story_id FROM story_done WHERE id = 101',
    );
    expect(rows).toEqual([{ user_id: null, story_id: 6 }]);
  });

  it('answers 401 for a malformed Authorization header, with WWW-Authenticate', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/api/languages/1',
      headers: { authorization: 'Basic abc' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({
      error: { code: 'unauthenticated', message: 'Authorization header must be "Bearer <token>"' },
    });
  });

  it('uses the error envelope for every status', async () => {
    expect(
      await api.call('editor', 'PUT', '/api/languages/1/default-text', { default_text: 5 }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_input',
          message: 'default_text: Invalid input: expected string, received number',
          field: 'default_text',
        },
      },
    });
    expect(await api.call('anonymous', 'GET', '/api/editor/courses')).toEqual({
      status: 401,
      body: { error: { code: 'unauthenticated', message: 'sign-in required' } },
    });
    expect(await api.call('reader', 'GET', '/api/editor/courses')).toEqual({
      status: 403,
      body: { error: { code: 'forbidden', message: 'requires role editor' } },
    });
    expect(await api.call('anonymous', 'GET', '/api/no/such/route')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'no route GET /api/no/such/route' } },
    });
    const conflict = await api.call('admin', 'POST', '/api/languages', {
      name: 'Another English',
      short: 'en',
    });
    expect(conflict).toMatchObject({
      status: 409,
      body: { error: { code: 'conflict', field: 'short' } },
    });
    const big = await api.call('editor', 'PUT', '/api/localizations', {
      language_id: 1,
      tag: 't',
      text: 'x'.repeat(70_000),
    });
    expect(big).toEqual({
      status: 413,
      body: {
        error: { code: 'payload_too_large', message: 'request body is larger than the limit' },
      },
    });
    const internal = await api.app.inject({ method: 'GET', url: '/api/stats/2024/3' });
    expect(internal.statusCode).toBe(500);
    expect(internal.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(internal.body).not.toMatch(/secret_table|app\.ts|at /);
  });

  it('refuses bodies that are not JSON objects, naming (body)', async () => {
    const raw = (payload: string, type = 'application/json') =>
      api.app.inject({
        method: 'PUT',
        url: '/api/localizations',
        headers: { ...{ authorization: 'Bearer editor-token-0001' }, 'content-type': type },
        payload,
      });
    for (const payload of ['{"tag": ', '[1,2]', '"text"', 'null', '42']) {
      const res = await raw(payload);
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_input', field: '(body)' });
    }
    const empty = await raw('');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toEqual({
      code: 'invalid_input',
      message: '(body): must be a JSON object',
      field: '(body)',
    });
    const poisoned = await raw(
      '{"__proto__": {"x": 1}, "language_id": 1, "tag": "t", "text": "x"}',
    );
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json().error.field).toBe('(body)');
    const text = await raw('language_id=1', 'text/plain');
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('unsupported_media_type');
  });

  it('documents every route in the OpenAPI document with its params and security', async () => {
    const res = await api.call('anonymous', 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            security: unknown[];
            parameters?: Array<{ name: string; in: string }>;
            responses: Record<string, unknown>;
          }
        >
      >;
      components: { securitySchemes: unknown; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer' },
    });
    expect(Object.keys(doc.components.schemas)).toContain('ErrorEnvelope');
    const routes = [...SYSTEM_ROUTES, ...READ_ROUTES, ...WRITE_ROUTES];
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      const expectedSecurity =
        route.access === 'anonymous' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }];
      expect(op.security, `${route.method} ${route.path}`).toEqual(expectedSecurity);
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(
        (op.parameters ?? [])
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
      ).toEqual(params.sort());
      expect(Object.keys(op.responses)).toEqual(
        expect.arrayContaining(['400', '401', '404', '500']),
      );
      if (route.access !== 'anonymous') expect(Object.keys(op.responses)).toContain('403');
    }
  });
});
