/**
 * The one place the environment is read. Everything else receives a typed Config.
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './core/errors.js';

export const ROLES = ['reader', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const tokenEntry = z.object({
  userId: z.number().int().positive(),
  role: z.enum(ROLES),
});
export type TokenEntry = z.infer<typeof tokenEntry>;

const apiTokens = z.record(z.string().min(8, 'tokens must be at least 8 characters'), tokenEntry);

export interface Config {
  /** Explicit Postgres server; when absent the embedded PGlite stack is used. */
  databaseUrl: string | undefined;
  /** Where embedded state lives (PGlite data, dev-stack discovery file). */
  home: string;
  apiTokens: Record<string, TokenEntry>;
  logLevel: string;
  devPgPort: number;
  apiPort: number;
  host: string;
  /** A Convex deployment (or the local stand-in); unset: the dev stack's stand-in, if running. */
  convexUrl: string | undefined;
  /** Admin or deploy key for convexUrl (Tandem's Convex functions are internal). */
  convexDeployKey: string | undefined;
  /** How long a mirrored write waits for its events to reach Convex; 0 = asynchronous. */
  mirrorWaitMs: number;
  convexLocalPort: number;
  /** Emergency read override: tables forced to read Postgres (TANDEM_READS_FORCE_POSTGRES). */
  readsForcePostgres: 'all' | string[];
  /** A file whose presence forces reads to Postgres (TANDEM_READS_OVERRIDE_FILE). */
  readsOverrideFile: string | undefined;
  /** Where alert notifications are POSTed (the variable named by alerts.webhook.urlVariable); unset: log only. */
  alertWebhookUrl: string | undefined;
}

/** An override list: `all`, or table names separated by commas or white space; empty is none. */
export function parseForcedTables(text: string | undefined): 'all' | string[] {
  const names = (text ?? '').split(/[\s,]+/).filter(Boolean);
  return names.includes('all') ? 'all' : names;
}

export const DEFAULTS = {
  home: '.tandem',
  logLevel: 'info',
  devPgPort: 54329,
  apiPort: 4000,
  host: '127.0.0.1',
  mirrorWaitMs: 500,
  convexLocalPort: 3210,
} as const;

function parseJsonSetting<T>(name: string, raw: string | undefined, schema: z.ZodType<T>, fallback: T): T {
  if (raw === undefined || raw.trim() === '') return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(name, `not valid JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(name, `${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

function parseNonNegativeInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `not a whole number >= 0: ${JSON.stringify(raw)}`);
  return n;
}

function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(name, `not a TCP port: ${JSON.stringify(raw)}`);
  }
  return port;
}

function parseConvexUrl(name: string, raw: string | undefined): string | undefined {
  const url = raw?.trim();
  if (!url) return undefined;
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError(name, 'must be an http(s) URL');
  return url.replace(/\/+$/, '');
}

/** What the project config file says about reading the environment. */
export interface EnvironmentNames {
  /** Variable holding the Convex URL (default CONVEX_URL). */
  convexUrlVariable?: string;
  /** Variable holding the Convex admin/deploy key (default CONVEX_DEPLOY_KEY). */
  convexKeyVariable?: string;
  /** The config file's mirror wait, used when TANDEM_MIRROR_WAIT_MS is unset. */
  mirrorWaitMs?: number;
  /** Variable holding the alert webhook URL (default TANDEM_ALERT_WEBHOOK_URL). */
  alertWebhookVariable?: string;
}

function parseWebhookUrl(variable: string, env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[variable]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value may hold a token: name the variable, not the value.
    throw new ConfigError(variable, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(variable, 'must be an http:// or https:// URL');
  return raw;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  names: EnvironmentNames = {},
): Config {
  const urlVariable = names.convexUrlVariable ?? 'CONVEX_URL';
  const keyVariable = names.convexKeyVariable ?? 'CONVEX_DEPLOY_KEY';
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }
  return {
    databaseUrl,
    home: path.resolve(cwd, env.TANDEM_HOME?.trim() || DEFAULTS.home),
    apiTokens: parseJsonSetting('TANDEM_API_TOKENS', env.TANDEM_API_TOKENS, apiTokens, {}),
    logLevel: env.TANDEM_LOG_LEVEL?.trim() || DEFAULTS.logLevel,
    devPgPort: parsePort('TANDEM_PG_PORT', env.TANDEM_PG_PORT, DEFAULTS.devPgPort),
    apiPort: parsePort('TANDEM_API_PORT', env.TANDEM_API_PORT, DEFAULTS.apiPort),
    host: env.TANDEM_HOST?.trim() || DEFAULTS.host,
    convexUrl: parseConvexUrl(urlVariable, env[urlVariable]),
    convexDeployKey: env[keyVariable]?.trim() || undefined,
    mirrorWaitMs: parseNonNegativeInt(
      'TANDEM_MIRROR_WAIT_MS',
      env.TANDEM_MIRROR_WAIT_MS,
      names.mirrorWaitMs ?? DEFAULTS.mirrorWaitMs,
    ),
    convexLocalPort: parsePort('TANDEM_CONVEX_PORT', env.TANDEM_CONVEX_PORT, DEFAULTS.convexLocalPort),
    readsForcePostgres: parseForcedTables(env.TANDEM_READS_FORCE_POSTGRES),
    readsOverrideFile: env.TANDEM_READS_OVERRIDE_FILE?.trim()
      ? path.resolve(cwd, env.TANDEM_READS_OVERRIDE_FILE.trim())
      : undefined,
    alertWebhookUrl: parseWebhookUrl(names.alertWebhookVariable ?? 'TANDEM_ALERT_WEBHOOK_URL', env),
  };
}
