/**
 * GET /api/control/events over a real socket: the current overview on
 * connect, then a new `overview` event when a write is captured, and nothing
 * in between while nothing changes. The series route serves what the sampler
 * recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../src/controlRoom/types.js';
import { availableBackends } from '../support/db.js';
import { APPS, startControlRoom, type ControlRoomHarness } from './harness.js';

const backends = await availableBackends();
const ONE_WRITE_TABLE = { 'film-rental': 'film', 'story-site': 'language' } as const;
/** How long an event may take to arrive before the test fails: a bound on failure, not a figure (a CI run at load 25 missed 2 s). */
const EVENT_WAIT_MS = 15_000;

interface EventStream {
  events: Array<{ event: string; data: Overview }>;
  comments: string[];
  next(count: number, timeoutMs: number): Promise<void>;
  close(): void;
  response: http.IncomingMessage;
}

/** Reads SSE frames (blank-line separated) from the stream as they arrive. */
function openEvents(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, (response) => {
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
      const stream: EventStream = {
        events: [],
        comments: [],
        next: (count, timeoutMs) =>
          new Promise((done, fail) => {
            const started = Date.now();
            const poll = setInterval(() => {
              if (stream.events.length >= count) {
                clearInterval(poll);
                done();
              } else if (Date.now() - started > timeoutMs) {
                clearInterval(poll);
                fail(
                  new Error(
                    `only ${stream.events.length} of ${count} events within ${timeoutMs} ms`,
                  ),
                );
              }
            }, 20);
          }),
        close: () => request.destroy(),
        response,
      };
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.startsWith(':')) stream.comments.push(frame.slice(1).trim());
          else {
            const event = /^event: (.*)$/m.exec(frame)![1]!;
            const data = JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) as Overview;
            stream.events.push({ event, data });
          }
        }
      });
      resolve(stream);
    });
    request.on('error', reject);
  });
}

describe.each(backends)('control room live updates [%s]', (backend) => {
  describe.each(APPS)('%s', (appName) => {
    let h: ControlRoomHarness;
    let base: string;

    beforeAll(async () => {
      h = await startControlRoom(backend, appName, { sampleIntervalMs: 1000 });
      h.clock.now = new Date();
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    });
    afterAll(() => h?.close());

    it('sends the overview on connect and again when a write is captured', async () => {
      const stream = await openEvents(`${base}/api/control/events`);
      try {
        await stream.next(1, EVENT_WAIT_MS);
        expect(stream.comments[0]).toBe('connected');
        const first = stream.events[0]!;
        expect(first.event).toBe('overview');
        const before = first.data.tables.find(
          (t) => t.table === ONE_WRITE_TABLE[appName],
        )!.outboxPending;
        // Nothing changes: no second event.
        await new Promise((r) => setTimeout(r, 600));
        expect(stream.events).toHaveLength(1);
        // A write to one of the application's tables, captured by its trigger.
        const table = await h.writeOne();
        await stream.next(2, EVENT_WAIT_MS);
        const second = stream.events[1]!;
        expect(second.event).toBe('overview');
        expect(second.data.tables.find((t) => t.table === table)!.outboxPending).toBe(before + 1);
        expect(table).toBe(ONE_WRITE_TABLE[appName]);
      } finally {
        stream.close();
      }
    });

    it('serves the samples the sampler recorded as a series', async () => {
      const table = h.mirror.tables[0]!.name;
      await h.room.sampler.sampleOnce();
      const pending = (await h.room.overview()).tables.find(
        (t) => t.table === table,
      )!.outboxPending;
      const res = await h.call(
        'anonymous',
        'GET',
        `/api/control/series?metric=outboxPending&window=15m&table=${table}`,
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ metric: 'outboxPending', window: '15m', stepSeconds: 1 });
      expect(res.body.series).toHaveLength(1);
      const points = res.body.series[0].points as Array<[number, number | null]>;
      expect(points).toHaveLength(900);
      expect(points.at(-1)).toEqual([Math.floor(h.clock.now.getTime() / 1000) * 1000, pending]);
    });

    it('ends open streams when the server closes', async () => {
      const stream = await openEvents(`${base}/api/control/events`);
      await stream.next(1, EVENT_WAIT_MS);
      const ended = new Promise<string>((resolve) =>
        stream.response.on('end', () => resolve('ended')),
      );
      const closed = h.app.close().then(() => 'closed');
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve('timed out'), 5000),
      );
      expect(
        await Promise.race([Promise.all([ended, closed]).then((r) => r.join(',')), timeout]),
      ).toBe('ended,closed');
    });
  });
});
