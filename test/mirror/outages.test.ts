/**
 * Outages and a refused key are not the events' fault: the relay waits them
 * out (breaker, backoff), spends no retry attempt and dead-letters nothing,
 * and says so in its log and metrics. The HTTP target tells them apart from a
 * function failure by the deployment's HTTP status.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { EmbeddedConvexTarget } from '../../src/convex/embeddedTarget.js';
import { HttpConvexTarget } from '../../src/convex/httpTarget.js';
import { TargetAuthError, TargetUnavailableError } from '../../src/core/errors.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { Relay } from '../../src/relay/relay.js';
import { mirrorMapper } from '../../src/relay/changeMapper.js';
import { listDeadLetters } from '../../src/outbox/deadLetters.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { seededRandom } from '../support/random.js';
import { FAST_RELAY, FlakyTarget, expectConvexEqualsPostgres, prepareMirroredDatabase } from '../support/mirror.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const backends = await availableBackends();

describe.each(backends)('relay through outages [%s]', (backend) => {
  let db: TestDatabase;
  const opened: TestDatabase[] = [];
  beforeEach(async () => {
    db = await createTestDatabase(backend);
    opened.push(db);
    await prepareMirroredDatabase(db.pool);
    await db.pool.query(
      `INSERT INTO story_done (story_id, user_id) SELECT (g % 5) + 1, NULL FROM generate_series(1, 60) g`,
    );
  });
  afterAll(async () => {
    for (const d of opened) await d.close();
  });

  function relayWithLog(target: FlakyTarget, budget: number) {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
    const metrics = createRelayMetrics();
    const relay = new Relay(
      { tool: DEFAULT_TOOL_SCHEMA, pool: db.pool, target, mapper: mirrorMapper(STORY_SITE_TABLES), metrics, log },
      { ...FAST_RELAY, claimEvents: 5, retry: { budget, baseDelayMs: 1, maxDelayMs: 20 }, breaker: { failureThreshold: 3, cooldownMs: 20 } },
    );
    return { relay, lines, metrics };
  }

  async function attemptsSpent(): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>('SELECT coalesce(sum(attempts), 0)::int AS n FROM tandem.outbox');
    return rows[0]!.n;
  }

  it('60 % injected unavailability: nothing dead-lettered, no attempt spent, Convex equals Postgres', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    const flaky = new FlakyTarget(embedded, 0.6, seededRandom(14));
    const { relay, metrics } = relayWithLog(flaky, 2);
    const summary = await relay.drain();
    expect(summary.dead).toBe(0);
    expect(flaky.failures).toBeGreaterThan(5);
    expect(await attemptsSpent()).toBe(0);
    expect(await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    expect((await metrics.targetUnavailable.get()).values.find((v) => v.labels.kind === 'unavailable')?.value).toBe(flaky.failures);
    await expectConvexEqualsPostgres(db.pool, embedded);
  });

  it('a failure of the payload spends attempts and is logged as a retry', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    let failing = true;
    const threw = new FlakyTarget(embedded, 1, () => (failing ? 0 : 1), () => new Error('Uncaught Error: applyBatch threw'));
    const { relay, lines } = relayWithLog(threw, 5);
    const outcome = await relay.round('w1');
    expect(outcome!.retried).toBeGreaterThan(0);
    expect(await attemptsSpent()).toBe(outcome!.retried);
    expect(lines.join('')).toContain('apply failed; events will be retried');
    failing = false;
    expect((await relay.drain()).dead).toBe(0);
  });

  it('a refused deploy key pauses delivery and alerts; once accepted, everything applies', async () => {
    const embedded = new EmbeddedConvexTarget({ convexDir: STORY_SITE_CONVEX_DIR });
    let keyRefused = true;
    const refusing = new FlakyTarget(embedded, 1, () => (keyRefused ? 0 : 1), () => new TargetAuthError('Convex refused the admin/deploy key (HTTP 401)'));
    const { relay, lines } = relayWithLog(refusing, 1);
    for (let i = 0; i < 12; i++) await relay.round('w1');
    expect(refusing.failures).toBeGreaterThanOrEqual(3);
    expect(await attemptsSpent()).toBe(0);
    expect(await listDeadLetters(db.pool, DEFAULT_TOOL_SCHEMA)).toEqual([]);
    expect(lines.join('')).toContain('Convex refused the deploy key: delivery paused, no retry attempts spent');
    keyRefused = false;
    expect((await relay.drain()).dead).toBe(0);
    await expectConvexEqualsPostgres(db.pool, embedded);
  });
});

describe('HttpConvexTarget classifies failures by HTTP status', () => {
  async function answering(status: number, body: string) {
    const server = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const target = new HttpConvexTarget({ url, adminKey: 'test-admin-key-1234' });
    const error = await target.applyBatch([{ txid: '1', changes: [] }]).catch((err: unknown) => err);
    await new Promise((resolve) => server.close(resolve));
    return error as Error;
  }

  it('401 and 403: a refused key (TargetAuthError, no key text in the message)', async () => {
    for (const status of [401, 403]) {
      const err = await answering(status, '{"code":"BadAdminKey","message":"test-admin-key-1234 is invalid"}');
      expect(err).toBeInstanceOf(TargetAuthError);
      expect(err.message).not.toContain('test-admin-key');
    }
  });

  it('500, 502, 503 and 429: unavailable', async () => {
    for (const status of [500, 502, 503, 429]) {
      const err = await answering(status, 'overloaded');
      expect(err).toBeInstanceOf(TargetUnavailableError);
      expect(err).not.toBeInstanceOf(TargetAuthError);
    }
  });

  it('560 (the function threw) and 400: the payload is at fault', async () => {
    const failed = await answering(560, JSON.stringify({ status: 'error', errorMessage: 'Uncaught Error: bad', logLines: [] }));
    expect(failed).not.toBeInstanceOf(TargetUnavailableError);
    const bad = await answering(400, '{"code":"BadRequest"}');
    expect(bad).not.toBeInstanceOf(TargetUnavailableError);
  });
});
