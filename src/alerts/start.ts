/**
 * Alerting as a long-running process starts it: the log sink always, the
 * webhook when its URL is set, and a monitor over the tool's schema.
 */
import type pg from 'pg';
import type { ToolSchema } from '../core/toolSchema.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { AlertMonitor, type AlertMonitorOptions } from './monitor.js';
import type { AlertPolicy } from './rules.js';
import { LogSink, WebhookSink, type AlertSink } from './sinks.js';

/** What must never leave the process in a notification: the DB password, the Convex key, API tokens. */
export function processSecrets(config: Pick<Config, 'databaseUrl' | 'convexDeployKey' | 'apiTokens'>): string[] {
  const secrets = [...Object.keys(config.apiTokens)];
  if (config.convexDeployKey) secrets.push(config.convexDeployKey);
  if (config.databaseUrl) {
    try {
      const password = decodeURIComponent(new URL(config.databaseUrl).password);
      if (password) secrets.push(password);
    } catch {
      // Not a URL: loadConfig already refused it.
    }
  }
  return secrets;
}

export function alertSinks(options: {
  policy: AlertPolicy;
  webhookUrl: string | undefined;
  secrets: readonly string[];
  log: Logger;
}): AlertSink[] {
  const sinks: AlertSink[] = [new LogSink(options.log)];
  if (options.webhookUrl)
    sinks.push(
      new WebhookSink({
        url: options.webhookUrl,
        timeoutMs: options.policy.webhook.timeoutMs,
        attempts: options.policy.webhook.attempts,
        queueSize: options.policy.webhook.queueSize,
        secrets: options.secrets,
        log: options.log,
      }),
    );
  return sinks;
}

/** Starts evaluating the rules every `policy.intervalMs`; stop() ends it and flushes the sinks. */
export function startAlerting(options: {
  pool: pg.Pool;
  policy: AlertPolicy;
  tables: () => readonly string[];
  config: Pick<Config, 'databaseUrl' | 'convexDeployKey' | 'apiTokens' | 'alertWebhookUrl'>;
  log: Logger;
  tool: ToolSchema;
  /** Reverse-sync lag per table (it lives in Convex); without it the rule sees 0. */
  reverseSyncLag?: AlertMonitorOptions['reverseSyncLag'];
}): AlertMonitor {
  const monitor = new AlertMonitor({
    pool: options.pool,
    tool: options.tool,
    policy: options.policy,
    tables: options.tables,
    reverseSyncLag: options.reverseSyncLag,
    sinks: alertSinks({
      policy: options.policy,
      webhookUrl: options.config.alertWebhookUrl,
      secrets: processSecrets(options.config),
      log: options.log,
    }),
    log: options.log,
  });
  monitor.start();
  return monitor;
}
