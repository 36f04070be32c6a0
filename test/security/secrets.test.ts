/**
 * No secret leaves through logs, error bodies or /metrics: bearer tokens (good
 * and bad), the Convex admin key and a database password never appear, while
 * the relay's own failures are still logged (retries, dead letters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/postgres/database.js';
import { createRelayMetrics, registerOutboxGauges } from '../../src/relay/metrics.js';
import { serveMetrics } from '../../src/relay/metricsServer.js';
import { availableBackends } from '../support/db.js';
import { HOSTILE_CASES } from './corpus.js';
import { GHOST, GHOST_TOKENS, startSecuredApi, type SecuredApi } from './harness.js';
import { TOKENS } from '../../examples/story-site/test/api/harness.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();
const SECRETS = [...Object.keys(TOKENS), ...Object.keys(GHOST_TOKENS), 'not-a-known-token'];

describe.each(backends)('no secrets out [%s]', (backend) => {
  let api: SecuredApi;
  const bodies: string[] = [];
  beforeAll(async () => {
    api = await startSecuredApi(backend);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('logs and error bodies of every kind of call carry no token', async () => {
    for (const caller of ['anonymous', 'reader', 'editor', 'admin', 'unknown'] as const) {
      for (const url of ['/api/stories/4', '/api/editor/courses', '/api/users/1/courses/1/done', '/api/images/%FF']) {
        bodies.push((await api.app.inject({ method: 'GET', url, headers: caller === 'anonymous' ? {} : { authorization: `Bearer ${caller === 'unknown' ? 'not-a-known-token' : Object.keys(TOKENS).find((t) => TOKENS[t]!.role === caller)}` } })).body);
      }
    }
    for (const c of HOSTILE_CASES.filter((h) => h.raw === undefined).slice(0, 30)) {
      const headers = c.caller === 'ghostEditor' ? GHOST.editor : c.caller === 'ghostReader' ? GHOST.reader : {};
      bodies.push((await api.app.inject({ method: c.method, url: c.url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(c.body ?? {}) })).body);
    }
    const logs = api.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of SECRETS) {
      expect(logs).not.toContain(secret);
      for (const body of bodies) expect(body).not.toContain(secret);
    }
  });

  it('/metrics (standalone relay server) answers only /metrics and carries no secret', async () => {
    const registry = new Registry();
    createRelayMetrics(registry);
    registerOutboxGauges(registry, DEFAULT_TOOL_SCHEMA, api.db.pool);
    const server = await serveMetrics(registry, 0);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('tandem_outbox_pending 0');
      expect(text).toContain('tandem_target_unavailable_total');
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      const other = await fetch(server.url.replace('/metrics', '/env'));
      expect(other.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('credentials in descriptions', () => {
  it('a database URL with a password is described without it', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:hunter2-secret@127.0.0.1:1/none' });
    const db = await openDatabase(config);
    try {
      expect(db.describe).toBe('postgres://app:***@127.0.0.1:1/none');
    } finally {
      await db.close();
    }
  });
});
