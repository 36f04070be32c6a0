/**
 * The webhook sink against a local HTTP server that answers, fails, or hangs:
 * retried with backoff until it answers, cut off by the timeout when it hangs,
 * and never making the caller wait; a full queue drops the oldest. Payloads
 * never carry the database password, the Convex deploy key or an API token,
 * and the webhook URL (which may hold a token) is never logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { processSecrets } from '../../src/alerts/start.js';
import { WebhookSink, redactSecrets, type AlertNotification } from '../../src/alerts/sinks.js';
import { silentLogger } from '../../src/log.js';

type Behaviour = 'ok' | 'fail' | 'hang';
interface Hook {
  url: string;
  bodies: unknown[];
  attempts: number;
  behaviour: Behaviour[];
  close(): Promise<void>;
}

const servers: Hook[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Answers each request by the next behaviour in the list (the last one repeats). */
async function webhookServer(behaviour: Behaviour[]): Promise<Hook> {
  const hanging: http.ServerResponse[] = [];
  const hook: Hook = { url: '', bodies: [], attempts: 0, behaviour, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const b = hook.behaviour[Math.min(hook.attempts, hook.behaviour.length - 1)]!;
      hook.attempts += 1;
      if (b === 'hang') return void hanging.push(res);
      if (b === 'fail') return void res.writeHead(503).end('down');
      hook.bodies.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=hook-secret-token`;
  hook.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  servers.push(hook);
  return hook;
}

const alert = (summary = 'film: unresolved dead letters 3 > 0', table = 'film'): AlertNotification => ({
  rule: 'deadLetters',
  table,
  state: 'firing',
  severity: 'critical',
  value: 3,
  threshold: 0,
  summary,
  at: new Date('2026-01-02T03:04:05.000Z'),
});

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function capturingLogger() {
  const lines: string[] = [];
  const log = pino({ level: 'debug', base: undefined }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  return { log, lines };
}

describe('webhook sink', () => {
  it('posts the alert as JSON', async () => {
    const hook = await webhookServer(['ok']);
    const sink = new WebhookSink({ url: hook.url, timeoutMs: 1_000, attempts: 3, queueSize: 10, log: silentLogger, source: 'relay@host' });
    sink.send(alert());
    await until(() => hook.bodies.length === 1);
    expect(hook.bodies[0]).toEqual({
      version: 1,
      source: 'relay@host',
      alert: {
        rule: 'deadLetters',
        table: 'film',
        state: 'firing',
        severity: 'critical',
        value: 3,
        threshold: 0,
        summary: 'film: unresolved dead letters 3 > 0',
        at: '2026-01-02T03:04:05.000Z',
      },
    });
    await sink.close();
    expect(sink.counts).toEqual({ delivered: 1, failed: 0, dropped: 0, queued: 0 });
  });

  it('retries a failing and a hanging webhook with backoff until it answers; send never waits', async () => {
    const hook = await webhookServer(['fail', 'hang', 'fail', 'ok']);
    const { log, lines } = capturingLogger();
    const delays: number[] = [];
    const sink = new WebhookSink({
      url: hook.url,
      // Long enough that an answer is never mistaken for a hang on a loaded
      // machine (a CI run once saw a prompt answer time out at 200 ms).
      timeoutMs: 1500,
      attempts: 5,
      queueSize: 10,
      baseDelayMs: 40,
      log,
      random: () => {
        delays.push(1);
        return 0.5;
      },
    });
    for (let i = 0; i < 3; i += 1) sink.send(alert(`n${i}`));
    // Handing over is a queue push: send returned before anything was delivered.
    expect(sink.counts).toEqual({ delivered: 0, failed: 0, dropped: 0, queued: 2 });
    expect(hook.bodies).toEqual([]);
    await until(() => hook.bodies.length === 3, 10_000);
    expect(hook.bodies.map((b) => (b as { alert: { summary: string } }).alert.summary)).toEqual(['n0', 'n1', 'n2']);
    expect(hook.attempts).toBe(6);
    expect(delays.length).toBe(3);
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; problem: string; attempt: number });
    expect(warnings.map((w) => [w.attempt, w.problem])).toEqual([
      [1, 'HTTP 503'],
      [2, 'no answer within 1500 ms'],
      [3, 'HTTP 503'],
    ]);
    // The URL carries a token: it never reaches the log.
    expect(lines.join('')).not.toContain('hook-secret-token');
    expect(lines.join('')).not.toContain('127.0.0.1');
    await sink.close();
    expect(sink.counts).toEqual({ delivered: 3, failed: 0, dropped: 0, queued: 0 });
  });

  it('gives up after its attempts, and a full queue drops the oldest notification', async () => {
    const hook = await webhookServer(['hang']);
    const sink = new WebhookSink({ url: hook.url, timeoutMs: 100, attempts: 2, queueSize: 2, baseDelayMs: 1, log: silentLogger });
    for (let i = 0; i < 5; i += 1) sink.send(alert(`n${i}`));
    // n0 is being delivered; n1..n4 compete for two places: n1 and n2 are dropped.
    expect(sink.counts).toEqual({ delivered: 0, failed: 0, dropped: 2, queued: 2 });
    await until(() => sink.counts.failed === 3, 5_000);
    expect(hook.attempts).toBe(6);
    await sink.close(0);
  });

  it('close stops a hanging delivery within its grace period', async () => {
    const hook = await webhookServer(['hang']);
    const sink = new WebhookSink({ url: hook.url, timeoutMs: 30_000, attempts: 5, queueSize: 10, log: silentLogger });
    sink.send(alert());
    await until(() => hook.attempts === 1);
    // The server never answers and the timeout is 30 s: close ends it (a hang fails the test by its timeout).
    await sink.close(100);
    expect(sink.counts).toEqual({ delivered: 0, failed: 1, dropped: 0, queued: 0 });
    expect(hook.attempts).toBe(1);
  });
});

describe('secrets never leave in a payload', () => {
  const config = {
    databaseUrl: 'postgres://app:pg-pa%24%24word@db.internal:5432/app',
    convexDeployKey: 'prod:deploy-key-0123456789abcdef',
    apiTokens: { 'admin-token-abcdef123': { userId: 1, role: 'admin' as const } },
  };

  it('finds the process secrets in the config', () => {
    expect(processSecrets(config).sort()).toEqual(['admin-token-abcdef123', 'pg-pa$$word', 'prod:deploy-key-0123456789abcdef']);
  });

  it('replaces them, and any URL password, in what is sent', async () => {
    expect(redactSecrets('see postgres://app:other@h/db and prod:deploy-key-0123456789abcdef', processSecrets(config))).toBe(
      'see postgres://app:[redacted]@h/db and [redacted]',
    );
    const hook = await webhookServer(['ok']);
    const sink = new WebhookSink({
      url: hook.url,
      timeoutMs: 1_000,
      attempts: 1,
      queueSize: 10,
      log: silentLogger,
      secrets: processSecrets(config),
    });
    sink.send(
      alert(
        `film: failing with ${config.databaseUrl} key prod:deploy-key-0123456789abcdef token admin-token-abcdef123 pw pg-pa$$word`,
      ),
    );
    await until(() => hook.bodies.length === 1);
    const body = JSON.stringify(hook.bodies[0]);
    for (const secret of ['pg-pa$$word', 'pg-pa%24%24word', 'deploy-key-0123456789abcdef', 'admin-token-abcdef123'])
      expect(body).not.toContain(secret);
    expect((hook.bodies[0] as { alert: { summary: string } }).alert.summary).toBe(
      'film: failing with postgres://app:[redacted]@db.internal:5432/app key [redacted] token [redacted] pw [redacted]',
    );
    await sink.close();
  });
});
