/**
 * Alert rules: the `alerts` section of the project config, validated with zod
 * and resolved into one rule set per table (defaults, then the table's own
 * overrides key by key). Each rule watches one condition of one table; the
 * evaluator (evaluator.ts) gives it Prometheus's pending → firing → resolved
 * life, and the Prometheus export (prometheusRules.ts) writes the same rules
 * over Tandem's metric names.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** The conditions a rule can watch; each is a per-table value compared with `> threshold`. */
export const ALERT_CONDITIONS = [
  'mirrorFailureRate',
  'lag',
  'deadLetters',
  'parityDrift',
  'untrackedWrites',
  'shadowDrift',
  'stall',
  'reverseSyncLag',
  'reverseSyncDeadLetters',
] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

/** Conditions that are shares (0–1) of events or reads in the window, so they need samples. */
export const RATE_CONDITIONS: ReadonlySet<AlertCondition> = new Set(['mirrorFailureRate', 'shadowDrift']);

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

const duration = z.union([
  z.number().min(0, 'must be >= 0 (seconds)'),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 500ms, 30s, 2m or 1h'),
]);

/** One rule as written in the config: every key optional, so an override can change one. */
const ruleInput = z
  .object({
    enabled: z.boolean().optional(),
    /** Breached when the value is above this (rates are shares 0–1, lag and stall seconds, the rest counts). */
    threshold: z.number().min(0, 'must be >= 0').optional(),
    /** How long the breach must last before the alert fires (pending until then). */
    for: duration.optional(),
    /** How long the alert keeps firing after the breach clears. */
    keepFiringFor: duration.optional(),
    severity: z.enum(ALERT_SEVERITIES).optional(),
    /** Rates only: fewest events or reads in the window before the rate counts. */
    minSamples: z.number().int().min(1, 'must be >= 1').optional(),
  })
  .strict();

const ruleSet = z.object(Object.fromEntries(ALERT_CONDITIONS.map((c) => [c, ruleInput.optional()]))).strict() as z.ZodType<
  Partial<Record<AlertCondition, z.output<typeof ruleInput>>>
>;

const envVariableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const alertsConfigSchema = z
  .object({
    /** How often the rules are evaluated (seconds). */
    intervalSeconds: z.number().min(1, 'must be >= 1').max(3600).default(15),
    /** The window rates are computed over (seconds). */
    windowSeconds: z.number().int().min(1).max(86_400).default(300),
    /** Rules for every table. */
    default: ruleSet.default({}),
    /** Per table: rules whose keys replace the default's, key by key. */
    tables: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case table name'), ruleSet).default({}),
    webhook: z
      .object({
        /** Environment variable holding the webhook URL (a URL may carry a token, so it is never in the file). */
        urlVariable: envVariableName.default('TANDEM_ALERT_WEBHOOK_URL'),
        timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
        /** Attempts per notification, the first included. */
        attempts: z.number().int().min(1).max(20).default(5),
        /** Notifications held while the webhook is slow; past it the oldest is dropped (and counted). */
        queueSize: z.number().int().min(1).max(10_000).default(100),
      })
      .strict()
      .default({ urlVariable: 'TANDEM_ALERT_WEBHOOK_URL', timeoutMs: 5_000, attempts: 5, queueSize: 100 }),
  })
  .strict();

export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

export interface AlertRule {
  condition: AlertCondition;
  enabled: boolean;
  threshold: number;
  forMs: number;
  keepFiringForMs: number;
  severity: AlertSeverity;
  minSamples: number;
}

export type AlertRuleSet = Record<AlertCondition, AlertRule>;

export interface WebhookSettings {
  urlVariable: string;
  timeoutMs: number;
  attempts: number;
  queueSize: number;
}

/** The resolved alert policy: defaults for every table, overrides where given. */
export interface AlertPolicy {
  intervalMs: number;
  windowSeconds: number;
  default: AlertRuleSet;
  tables: Record<string, AlertRuleSet>;
  webhook: WebhookSettings;
}

/**
 * Built-in rules, used where the config says nothing. Chosen so a healthy
 * mirror never alerts: any dead letter, drift or stall is worth a look, while
 * failure rates and lag get a little room before they page.
 */
export const BUILT_IN_RULES: AlertRuleSet = {
  mirrorFailureRate: rule('mirrorFailureRate', 0.05, 300_000, 300_000, 'warning'),
  lag: rule('lag', 300, 300_000, 0, 'warning'),
  deadLetters: rule('deadLetters', 0, 0, 0, 'critical'),
  parityDrift: rule('parityDrift', 0, 0, 0, 'critical'),
  untrackedWrites: rule('untrackedWrites', 0, 0, 0, 'info'),
  shadowDrift: rule('shadowDrift', 0.01, 300_000, 300_000, 'warning'),
  stall: rule('stall', 120, 60_000, 0, 'critical'),
  // The same room as the mirror's, the other way: Convex → Postgres after a write cutover.
  reverseSyncLag: rule('reverseSyncLag', 300, 300_000, 0, 'warning'),
  reverseSyncDeadLetters: rule('reverseSyncDeadLetters', 0, 0, 0, 'critical'),
};

function rule(
  condition: AlertCondition,
  threshold: number,
  forMs: number,
  keepFiringForMs: number,
  severity: AlertSeverity,
): AlertRule {
  return { condition, enabled: true, threshold, forMs, keepFiringForMs, severity, minSamples: 10 };
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function durationMs(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value)!;
  return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

function overlay(base: AlertRuleSet, input: Partial<Record<AlertCondition, z.output<typeof ruleInput>>>): AlertRuleSet {
  const out = { ...base };
  for (const condition of ALERT_CONDITIONS) {
    const r = input[condition];
    if (!r) continue;
    const b = base[condition];
    out[condition] = {
      condition,
      enabled: r.enabled ?? b.enabled,
      threshold: r.threshold ?? b.threshold,
      forMs: r.for === undefined ? b.forMs : durationMs(r.for),
      keepFiringForMs: r.keepFiringFor === undefined ? b.keepFiringForMs : durationMs(r.keepFiringFor),
      severity: r.severity ?? b.severity,
      minSamples: r.minSamples ?? b.minSamples,
    };
  }
  return out;
}

/**
 * Cross-key checks the schema cannot make: a rate threshold above 1 can never
 * be breached, which is a mistake rather than a way to turn a rule off
 * (`enabled: false` is).
 */
function checkRuleSet(rules: AlertRuleSet, where: string): void {
  for (const condition of RATE_CONDITIONS) {
    if (rules[condition].threshold > 1)
      throw new ConfigError(`${where}.${condition}.threshold`, 'is a share of events from 0 to 1 (e.g. 0.05 for 5%)');
  }
}

export function resolveAlertPolicy(input: z.output<typeof alertsConfigSchema>, source: string): AlertPolicy {
  const defaults = overlay(BUILT_IN_RULES, input.default);
  checkRuleSet(defaults, `${source}: alerts.default`);
  const tables: Record<string, AlertRuleSet> = {};
  for (const [table, rules] of Object.entries(input.tables)) {
    tables[table] = overlay(defaults, rules);
    checkRuleSet(tables[table], `${source}: alerts.tables.${table}`);
  }
  return {
    intervalMs: input.intervalSeconds * 1000,
    windowSeconds: input.windowSeconds,
    default: defaults,
    tables,
    webhook: input.webhook,
  };
}

/** The rules one table is held to. */
export function rulesForTable(policy: AlertPolicy, table: string): AlertRuleSet {
  return policy.tables[table] ?? policy.default;
}

/** The conditions whose rules are enabled for a table (the phases' "alerts configured" gate reads these). */
export function enabledConditions(policy: AlertPolicy, table: string): AlertCondition[] {
  const rules = rulesForTable(policy, table);
  return ALERT_CONDITIONS.filter((condition) => rules[condition]?.enabled);
}

/** Refuses overrides for tables that are not mirrored: a typo there would silently watch nothing. */
export function checkPolicyTables(policy: AlertPolicy, tables: readonly string[]): void {
  for (const table of Object.keys(policy.tables))
    if (!tables.includes(table))
      throw new ConfigError(`alerts.tables.${table}`, `not a mirrored table (known: ${tables.join(', ')})`);
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = resolveAlertPolicy(alertsConfigSchema.parse({}), 'config');
