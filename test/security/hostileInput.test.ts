/**
 * The security corpus against the running API with the mirror on: every
 * hostile request gets its 4xx in the documented envelope, naming the field
 * where one is to blame, and changes nothing in either store (app tables,
 * outbox, dead letters, Convex calls). Then the values that look hostile but
 * are legitimate are stored exactly and mirrored without a dead letter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS } from '../../examples/story-site/test/api/harness.js';
import { availableBackends } from '../support/db.js';
import { HOSTILE_CASES, type HostileCase } from './corpus.js';
import { GHOST, startSecuredApi, type SecuredApi, type StoreState } from './harness.js';

const backends = await availableBackends();

const HEADERS = { ...AS, ghostEditor: GHOST.editor, ghostReader: GHOST.reader };

async function send(api: SecuredApi, c: HostileCase) {
  const payload = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  const res = await api.app.inject({
    method: c.method,
    url: c.url,
    headers: {
      ...HEADERS[c.caller],
      ...(payload === undefined ? {} : { 'content-type': c.contentType ?? 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: res.statusCode, text: res.body, body: res.body ? (res.json() as unknown) : undefined };
}

describe.each(backends)('hostile input [%s]', (backend) => {
  let api: SecuredApi;
  let before: StoreState;
  beforeAll(async () => {
    api = await startSecuredApi(backend);
    before = await api.storeState();
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await send(api, c);
    expect(res.status, res.text.slice(0, 300)).toBe(c.status);
    const error = (res.body as { error: { code: string; message: string; field?: string } }).error;
    expect(Object.keys(res.body as object)).toEqual(['error']);
    expect(error.code).toBe(c.code);
    expect(typeof error.message).toBe('string');
    if (c.field !== undefined) expect(error.field).toBe(c.field);
    if (c.notInAnswer) expect(res.text).not.toMatch(c.notInAnswer);
    expect(await api.storeState()).toEqual(before);
  });

  it('names the broken Convex rule for content Convex cannot store', async () => {
    const res = await send(api, HOSTILE_CASES.find((c) => c.name === 'json array of 8,193 elements')!);
    expect(res.body).toEqual({
      error: {
        code: 'invalid_input',
        field: 'json',
        message: "json: violates Convex's array-length rule: 8193 elements exceed Convex's 8192 per array",
      },
    });
  });

  it('stores what only looks hostile exactly, and mirrors it without a dead letter', async () => {
    const json = { $set: 1, _id: 'x', 'C:\\u0000x': 'C:\\u0000x', 'x\u00e9': [1e300, -0.5] };
    const text = 'C:\\u0000x';
    const saved = await api.call('editor', 'PUT', '/api/stories/2', { set_id: 1, set_index: 1, course_id: 1, text, json });
    expect(saved).toEqual({ status: 200, body: { id: 2, created: false } });
    expect(text).toHaveLength(9);
    const { rows } = await api.db.pool.query('SELECT text, json FROM story WHERE id = 2');
    expect(rows).toEqual([{ text, json }]);
    const after = await api.storeState();
    expect(after.deadLetters).toBe(0);
    const { rows: pending } = await api.db.pool.query(
      "SELECT count(*)::int AS n FROM tandem.outbox WHERE status = 'pending'",
    );
    expect(pending).toEqual([{ n: 0 }]);
    expect(after.convexCalls).toBeGreaterThan(before.convexCalls);
  });
});
