/**
 * The `alerts` section of the project config: defaults, per-table overrides
 * key by key, and errors that name the rule and the key (the config is
 * refused whole, so nothing starts).
 */
import { describe, expect, it } from 'vitest';
import { BUILT_IN_RULES, checkPolicyTables, rulesForTable } from '../../src/alerts/rules.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config.js';

const parse = (alerts: unknown) => parseProjectConfig({ alerts }, 'tandem.config.json');
const errorOf = (alerts: unknown): string => {
  try {
    parse(alerts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('alert rule config', () => {
  it('with nothing set every table gets the built-in rules', () => {
    const policy = parse(undefined).alerts;
    expect(policy.intervalMs).toBe(15_000);
    expect(policy.windowSeconds).toBe(300);
    expect(rulesForTable(policy, 'any_table')).toEqual(BUILT_IN_RULES);
    expect(policy.tables).toEqual({});
  });

  it('defaults and per-table overrides are merged key by key, durations in ms', () => {
    const policy = parse({
      intervalSeconds: 5,
      default: { lag: { threshold: 60, for: '2m' }, untrackedWrites: { enabled: false } },
      tables: { rental: { lag: { threshold: 10, keepFiringFor: 30, severity: 'critical' } } },
    }).alerts;
    expect(policy.intervalMs).toBe(5_000);
    expect(rulesForTable(policy, 'film').lag).toEqual({ ...BUILT_IN_RULES.lag, threshold: 60, forMs: 120_000 });
    expect(rulesForTable(policy, 'film').untrackedWrites.enabled).toBe(false);
    // The table's rule starts from the configured default, not the built-in one.
    expect(rulesForTable(policy, 'rental').lag).toEqual({
      ...BUILT_IN_RULES.lag,
      threshold: 10,
      forMs: 120_000,
      keepFiringForMs: 30_000,
      severity: 'critical',
    });
    expect(rulesForTable(policy, 'rental').untrackedWrites.enabled).toBe(false);
    expect(rulesForTable(policy, 'rental').deadLetters).toEqual(BUILT_IN_RULES.deadLetters);
  });

  it('a malformed rule is refused with the file, the rule and the key', () => {
    expect(errorOf({ tables: { rental: { lag: { threshold: -1 } } } })).toBe(
      'tandem.config.json: alerts.tables.rental.lag.threshold: must be >= 0',
    );
    expect(errorOf({ default: { stall: { for: '5 minutes' } } })).toBe(
      'tandem.config.json: alerts.default.stall.for: must be a duration such as 500ms, 30s, 2m or 1h',
    );
    expect(errorOf({ default: { deadLetters: { severity: 'page' } } })).toMatch(
      /^tandem\.config\.json: alerts\.default\.deadLetters\.severity: /,
    );
    expect(errorOf({ default: { lagg: { threshold: 1 } } })).toBe(
      'tandem.config.json: alerts.default: unknown key "lagg" (not a setting of alerts.default)',
    );
    expect(errorOf({ tables: { film: { parityDrift: { treshold: 1 } } } })).toBe(
      'tandem.config.json: alerts.tables.film.parityDrift: unknown key "treshold" (not a setting of alerts.tables.film.parityDrift)',
    );
    expect(errorOf({ tables: { film: { shadowDrift: { threshold: 5 } } } })).toBe(
      'tandem.config.json: alerts.tables.film.shadowDrift.threshold: is a share of events from 0 to 1 (e.g. 0.05 for 5%)',
    );
  });

  it('an override for a table that is not mirrored is refused, naming it', () => {
    const policy = parse({ tables: { rentl: { lag: { threshold: 1 } } } }).alerts;
    expect(() => checkPolicyTables(policy, ['film', 'rental'])).toThrow(
      'alerts.tables.rentl: not a mirrored table (known: film, rental)',
    );
    expect(() => checkPolicyTables(parse({ tables: { rental: {} } }).alerts, ['film', 'rental'])).not.toThrow();
  });
});

describe('the webhook URL from the environment', () => {
  it('is read from the variable the config names, and a bad one is refused without echoing it', () => {
    expect(loadConfig({}, '/').alertWebhookUrl).toBeUndefined();
    expect(loadConfig({ TANDEM_ALERT_WEBHOOK_URL: 'https://hooks.example/a?token=abc' }, '/').alertWebhookUrl).toBe(
      'https://hooks.example/a?token=abc',
    );
    expect(loadConfig({ OPS_HOOK: 'http://127.0.0.1:9000/x' }, '/', { alertWebhookVariable: 'OPS_HOOK' }).alertWebhookUrl).toBe(
      'http://127.0.0.1:9000/x',
    );
    expect(() => loadConfig({ TANDEM_ALERT_WEBHOOK_URL: 'hooks token=s3cr3t' }, '/')).toThrow(
      new ConfigError('TANDEM_ALERT_WEBHOOK_URL', 'not a URL'),
    );
    expect(() => loadConfig({ TANDEM_ALERT_WEBHOOK_URL: 'ftp://x/y' }, '/')).toThrow('TANDEM_ALERT_WEBHOOK_URL: must be an http:// or https:// URL');
  });
});
