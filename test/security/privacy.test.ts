/**
 * What is public (docs/api.md, "What is public"): published stories of public
 * courses and public courses. Drafts, unpublished stories, stories and pages
 * of non-public courses are editors' and admins'; a user's reading history is
 * that user's and editors' and admins'. Hidden rows answer 404, as if absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT, DEFAULT_REQUEST_TIMEOUT_MS } from '../../src/http/server.js';
import { availableBackends } from '../support/db.js';
import { startApi, type ApiHarness, type Caller } from '../../examples/story-site/test/api/harness.js';

const backends = await availableBackends();

/** Fixture: story 1 published in public course es-en; 4 a draft; 7 published in non-public course ar-en. */
const CALLERS: Caller[] = ['anonymous', 'reader', 'editor', 'admin'];

describe.each(backends)('privacy [%s]', (backend) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi(backend);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function statuses(url: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const caller of CALLERS) out[caller] = (await api.call(caller, 'GET', url)).status;
    return out;
  }

  it('a published story of a public course is public', async () => {
    expect(await statuses('/api/stories/1')).toEqual({ anonymous: 200, reader: 200, editor: 200, admin: 200 });
  });

  it('a draft, and a published story of a non-public course, are for editors and admins', async () => {
    const hidden = { anonymous: 404, reader: 404, editor: 200, admin: 200 };
    expect(await statuses('/api/stories/4')).toEqual(hidden);
    expect(await statuses('/api/stories/7')).toEqual(hidden);
    const res = await api.call('anonymous', 'GET', '/api/stories/4');
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'story 4 not found', field: 'id' } });
  });

  it('a non-public course page is for editors and admins', async () => {
    expect(await statuses('/api/courses/ar-en/stories')).toEqual({ anonymous: 404, reader: 404, editor: 200, admin: 200 });
    expect(await statuses('/api/courses/es-en/stories')).toEqual({ anonymous: 200, reader: 200, editor: 200, admin: 200 });
  });

  it("a user's reading history is that user's, and editors' and admins'", async () => {
    // The reader token's user is 3, the editor's 1.
    expect(await statuses('/api/users/3/courses/2/done')).toEqual({ anonymous: 401, reader: 200, editor: 200, admin: 200 });
    expect(await statuses('/api/users/1/courses/1/done')).toEqual({ anonymous: 401, reader: 403, editor: 200, admin: 200 });
    expect((await api.call('reader', 'GET', '/api/users/3/courses/2/done')).body).toEqual([
      { story_id: 6, time: '2024-03-21T00:00:00.000Z' },
    ]);
  });

  it('sets a request timeout and a body limit', () => {
    expect(api.app.server.requestTimeout).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(api.app.initialConfig.bodyLimit).toBe(DEFAULT_BODY_LIMIT);
    expect(DEFAULT_BODY_LIMIT).toBe(4 * 1024 * 1024);
  });
});

describe('secrets in files', () => {
  it('dev.json (it holds the stand-in admin key) is written owner-only, replacing a world-readable one', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { devStackFile, writeDevStack } = await import('../../src/postgres/devStack.js');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-devjson-'));
    try {
      fs.writeFileSync(devStackFile(home), '{}', { mode: 0o644 });
      fs.chmodSync(devStackFile(home), 0o644);
      writeDevStack(home, { pid: 1, pgUrl: 'postgres://x', convexAdminKey: 'secret-admin-key', startedAt: 'now' });
      expect(fs.statSync(devStackFile(home)).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
