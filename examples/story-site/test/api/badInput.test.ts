/**
 * Bad input for every write route: the right status and field, and not one row
 * of any of the ten tables changed (row counts and md5 of their contents).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends } from '../../../../test/support/db.js';
import { CASES } from './badInputCases.js';
import { snapshotTables, startApi, type ApiHarness, type TableSnapshot } from './harness.js';

const backends = await availableBackends();

const CODES: Record<number, string> = {
  400: 'invalid_input',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
};

describe.each(backends)('API write routes refuse bad input, changing nothing [%s]', (backend) => {
  let api: ApiHarness;
  let before: TableSnapshot;
  beforeAll(async () => {
    api = await startApi(backend);
    before = await snapshotTables(api.db.pool);
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each(Object.keys(CASES))('%s', async (route) => {
    for (const bad of CASES[route]!) {
      const res = await api.call(bad.caller, bad.method, bad.url, bad.body);
      const label = `${bad.method} ${bad.url} ${JSON.stringify(bad.body)?.slice(0, 80)}`;
      expect(res.status, label).toBe(bad.status);
      const error = (res.body as { error: { code: string; field?: string } }).error;
      expect(error.code, label).toBe(CODES[bad.status]);
      if (bad.field !== undefined) expect(error.field, label).toBe(bad.field);
      expect(await snapshotTables(api.db.pool), label).toEqual(before);
    }
  });

  it('refuses a body over the 4 MiB limit with 413', async () => {
    const res = await api.call('editor', 'PUT', '/api/stories/1', {
      ...{ set_id: 1, set_index: 1, course_id: 1 },
      text: 'x'.repeat(9 * 1024 * 1024),
    });
    expect(res).toEqual({
      status: 413,
      body: {
        error: { code: 'payload_too_large', message: 'request body is larger than the limit' },
      },
    });
    expect(await snapshotTables(api.db.pool)).toEqual(before);
  });

  it('every write route has bad-input cases', () => {
    expect(Object.keys(CASES)).toHaveLength(21);
  });
});
