/**
 * Where alert notifications go: the log, and a webhook (a JSON POST).
 *
 * The webhook never slows the caller: `send` only puts the notification in a
 * bounded queue (the oldest is dropped, and counted, when it is full) and one
 * background loop delivers it, each attempt cut off by a timeout and retried
 * with exponential backoff and full jitter. A webhook that hangs or fails
 * costs the relay and the API nothing but a queue entry.
 *
 * Payloads carry the alert and nothing of the process's configuration; any
 * known secret (database password, Convex deploy key, API tokens) or URL
 * credential that reaches a text field anyway is replaced before it leaves.
 * The webhook URL itself may carry a token, so it is never logged.
 */
import type { Logger } from '../log.js';
import type { AlertSeverity } from './rules.js';

export interface AlertNotification {
  rule: string;
  table: string;
  /** `firing` or `resolved`. */
  state: 'firing' | 'resolved';
  severity: AlertSeverity;
  value: number;
  threshold: number;
  summary: string;
  at: Date;
}

export interface AlertSink {
  readonly name: string;
  /** Hands a notification over; never throws, never waits for delivery. */
  send(notification: AlertNotification): void;
  /** Waits (at most `graceMs`) for queued notifications, then stops. */
  close(graceMs?: number): Promise<void>;
}

export class LogSink implements AlertSink {
  readonly name = 'log';
  constructor(private readonly log: Logger) {}

  send(n: AlertNotification): void {
    const fields = { alert: n.rule, table: n.table, severity: n.severity, value: n.value, threshold: n.threshold };
    if (n.state === 'resolved') this.log.info(fields, `alert resolved: ${n.summary}`);
    else if (n.severity === 'critical') this.log.error(fields, `alert firing: ${n.summary}`);
    else if (n.severity === 'warning') this.log.warn(fields, `alert firing: ${n.summary}`);
    else this.log.info(fields, `alert firing: ${n.summary}`);
  }

  async close(): Promise<void> {}
}

/** Replaces known secrets and URL passwords in text. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  // scheme://user:password@host: keep the user, drop the password.
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, '$1:[redacted]@');
}

/** The JSON body of a webhook call: the alert, and where it came from. */
export function webhookPayload(n: AlertNotification, source: string, secrets: readonly string[]) {
  const clean = (text: string) => redactSecrets(text, secrets);
  return {
    version: 1,
    source,
    alert: {
      rule: n.rule,
      table: clean(n.table),
      state: n.state,
      severity: n.severity,
      value: n.value,
      threshold: n.threshold,
      summary: clean(n.summary),
      at: n.at.toISOString(),
    },
  };
}

export interface WebhookSinkOptions {
  url: string;
  timeoutMs: number;
  /** Attempts per notification, the first included. */
  attempts: number;
  queueSize: number;
  /** Backoff: the first retry waits up to baseDelayMs, doubling up to maxDelayMs (full jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Secrets of this process that must never leave it (DB password, deploy key, tokens). */
  secrets?: readonly string[];
  /** Names the sending process in the payload (default "tandem"). */
  source?: string;
  log: Logger;
  random?: () => number;
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
}

export class WebhookSink implements AlertSink {
  readonly name = 'webhook';
  private readonly queue: AlertNotification[] = [];
  private readonly stats = { delivered: 0, failed: 0, dropped: 0 };
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookSinkOptions) {}

  get counts(): WebhookStats {
    return { ...this.stats, queued: this.queue.length };
  }

  send(notification: AlertNotification): void {
    if (this.closed) return;
    if (this.queue.length >= this.options.queueSize) {
      this.queue.shift();
      this.stats.dropped += 1;
      this.options.log.warn({ dropped: this.stats.dropped }, 'alert webhook queue full; oldest notification dropped');
    }
    this.queue.push(notification);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    if (this.draining) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([this.draining, grace]);
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.queue.shift();
      if (!next) return;
      if (await this.deliver(next)) this.stats.delivered += 1;
      else this.stats.failed += 1;
      if (this.abort.signal.aborted) return;
    }
  }

  private async deliver(n: AlertNotification): Promise<boolean> {
    const { options } = this;
    const body = JSON.stringify(webhookPayload(n, options.source ?? 'tandem', options.secrets ?? []));
    for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
      let problem: string;
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), this.abort.signal]),
        });
        // Drain the body so the connection is reused.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return true;
        problem = `HTTP ${response.status}`;
        // A 4xx other than 408/429 will not get better by retrying.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) attempt = options.attempts;
      } catch (err) {
        if (this.abort.signal.aborted) return false;
        problem = (err as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : 'connection failed';
      }
      // The URL may hold a token: log the alert and the problem, never the URL.
      options.log.warn({ alert: n.rule, table: n.table, attempt, of: options.attempts, problem }, 'alert webhook not delivered');
      if (attempt < options.attempts && !(await this.backoff(attempt))) return false;
    }
    return false;
  }

  /** Sleeps a full-jitter backoff; false when closed meanwhile. */
  private backoff(attempt: number): Promise<boolean> {
    const base = this.options.baseDelayMs ?? 500;
    const cap = Math.min(this.options.maxDelayMs ?? 30_000, base * 2 ** (attempt - 1));
    const delay = Math.floor((this.options.random ?? Math.random)() * cap);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, delay);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
