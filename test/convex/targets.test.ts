import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { convexToJson, jsonToConvex, type JSONValue } from 'convex/values';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmbeddedConvexTarget,
  HttpConvexTarget,
  RecordingConvexTarget,
} from '../../src/convex/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { upsert } from './fixtures.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';

interface SeenRequest {
  url: string;
  authorization: string | undefined;
  body: { path: string; args: JSONValue[]; format?: string };
}

/** A stand-in HTTP endpoint answering like a Convex deployment, recording what the official client sent. */
async function fakeDeployment(answer: (request: SeenRequest) => unknown) {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const request = {
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(raw) as SeenRequest['body'],
      };
      seen.push(request);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          status: 'success',
          value: convexToJson(answer(request) as never),
          logLines: [],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe('HttpConvexTarget', () => {
  it('calls the internal functions by path with the admin key, Convex-encoded arguments', async () => {
    const deployment = await fakeDeployment((request) =>
      request.body.path === 'tandem:applyBatch'
        ? { applied: 1, skipped: 0 }
        : { page: [], isDone: true, continueCursor: '' },
    );
    closers.push(deployment.close);
    const target = new HttpConvexTarget({ url: deployment.url, adminKey: 'prod:secret' });
    const change = {
      ...upsert('avatar', { id: 1, link: 'l', name: null }, 3),
      doc: { big: 2n ** 62n },
    };
    expect(await target.applyBatch([{ txid: '9', changes: [change] }])).toEqual({
      applied: 1,
      skipped: 0,
    });
    expect(await target.exportPage('story', 'k', 5, { maxBytes: 1000 })).toEqual({
      page: [],
      isDone: true,
      continueCursor: '',
    });
    const [apply, page] = deployment.seen;
    expect(apply?.url).toBe('/api/mutation');
    expect(apply?.authorization).toBe('Convex prod:secret');
    expect(apply?.body.path).toBe('tandem:applyBatch');
    expect(jsonToConvex(apply!.body.args[0]!)).toEqual({
      transactions: [{ txid: '9', changes: [change] }],
    });
    expect(page?.url).toBe('/api/query');
    expect(page?.body.path).toBe('tandem:exportPage');
    expect(jsonToConvex(page!.body.args[0]!)).toEqual({
      table: 'story',
      cursor: 'k',
      numItems: 5,
      maxBytes: 1000,
    });
  });

  it('refuses a missing key or a bad URL', () => {
    expect(() => new HttpConvexTarget({ url: 'https://x.convex.cloud', adminKey: '' })).toThrow(
      ConfigError,
    );
    expect(() => new HttpConvexTarget({ url: 'x.convex.cloud', adminKey: 'k' })).toThrow(
      ConfigError,
    );
  });
});

describe('RecordingConvexTarget', () => {
  it('records calls and answers without a delegate', async () => {
    const target = new RecordingConvexTarget();
    const change = upsert('avatar', { id: 1, link: 'l', name: null }, 3);
    expect(await target.applyBatch([{ txid: '1', changes: [change, change] }])).toEqual({
      applied: 2,
      skipped: 0,
    });
    expect(await target.exportPage('avatar', null, 10)).toEqual({
      page: [],
      isDone: true,
      continueCursor: '',
    });
    expect(target.calls.map((c) => c.method)).toEqual(['applyBatch', 'exportPage']);
    expect(target.appliedChanges()).toEqual([change, change]);
  });

  it('delegates to another target (with a modelled latency) and records results and errors', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const target = new RecordingConvexTarget({ delegate: embedded, latencyMs: 5 });
    const change = upsert('avatar', { id: 1, link: 'l', name: 'n' }, 3);
    expect(await target.applyBatch([{ txid: '1', changes: [change] }])).toEqual({
      applied: 1,
      skipped: 0,
    });
    expect(await target.applyBatch([{ txid: '1', changes: [change] }])).toEqual({
      applied: 0,
      skipped: 1,
    });
    await expect(target.exportPage('nope', null, 1)).rejects.toMatchObject({
      data: { kind: 'unknown_table', table: 'nope' },
    });
    expect(target.calls.map((c) => [c.method, c.result ?? null, c.error === undefined])).toEqual([
      ['applyBatch', { applied: 1, skipped: 0 }, true],
      ['applyBatch', { applied: 0, skipped: 1 }, true],
      ['exportPage', null, false],
    ]);
    expect((await embedded.documents('avatar')).map((d) => d.name)).toEqual(['n']);
  });
});
