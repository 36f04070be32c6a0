/**
 * `tandem alerts export --prometheus`: the same rules as a Prometheus
 * alerting rules file, over the metric names Tandem serves on /metrics
 * (src/relay/metrics.ts, src/cutover/metrics.ts, src/reverseSync/metrics.ts). A table with its own rule
 * gets a rule of its own (`table="…"`); the default rule covers every other
 * table (`table!~"…"`), so each table is held to exactly one threshold.
 */
import { stringify } from 'yaml';
import { ALERT_CONDITIONS, type AlertCondition, type AlertPolicy, type AlertRule } from './rules.js';

export interface PrometheusRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PrometheusRulesFile {
  groups: Array<{ name: string; rules: PrometheusRule[] }>;
}

/** A duration in Prometheus's notation (`1h30m`, `90s`, `250ms`, `0s`). */
export function promDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

const ALERT_NAME: Record<AlertCondition, string> = {
  mirrorFailureRate: 'TandemMirrorFailureRate',
  lag: 'TandemMirrorLag',
  deadLetters: 'TandemDeadLetters',
  parityDrift: 'TandemParityDrift',
  untrackedWrites: 'TandemUntrackedWrites',
  shadowDrift: 'TandemShadowDrift',
  stall: 'TandemMirrorStalled',
  reverseSyncLag: 'TandemReverseSyncLag',
  reverseSyncDeadLetters: 'TandemReverseSyncDeadLetters',
};

const SUMMARY: Record<AlertCondition, string> = {
  mirrorFailureRate: 'share of mirrored events failing',
  lag: 'oldest change not yet applied to Convex (seconds)',
  deadLetters: 'unresolved dead letters',
  parityDrift: 'keys that differ between Postgres and Convex in the latest parity run',
  untrackedWrites: 'writes captured without a mirror operation key',
  shadowDrift: 'share of shadow reads where Convex differed from Postgres',
  stall: 'oldest pending change (seconds) while nothing of the table is applied',
  reverseSyncLag: 'oldest Convex change not yet applied to Postgres (seconds)',
  reverseSyncDeadLetters: 'unresolved reverse-sync dead letters',
};

/** `{a, b}` with the table matcher added, or `{}` left out when empty. */
function selector(matchers: string[]): string {
  return matchers.length ? `{${matchers.join(', ')}}` : '';
}

function expression(rule: AlertRule, table: string | null, window: string): string {
  const t = table === null ? [] : [table];
  const sel = (...m: string[]) => selector([...m, ...t]);
  const T = String(rule.threshold);
  switch (rule.condition) {
    case 'mirrorFailureRate':
      return (
        `(sum by (table) (rate(tandem_mirror_events_total${sel('outcome=~"failed|dead"')}[${window}]))` +
        ` / sum by (table) (rate(tandem_mirror_events_total${sel()}[${window}]))) > ${T}` +
        ` and on (table) sum by (table) (increase(tandem_mirror_events_total${sel()}[${window}])) >= ${rule.minSamples}`
      );
    case 'lag':
      return `max by (table) (tandem_table_outbox_oldest_pending_seconds${sel()}) > ${T}`;
    case 'deadLetters':
      return `max by (table) (tandem_dead_letters_unresolved${sel()}) > ${T}`;
    case 'reverseSyncLag':
      return `max by (table) (tandem_reverse_sync_table_lag_seconds${sel()}) > ${T}`;
    case 'reverseSyncDeadLetters':
      return `max by (table) (tandem_reverse_sync_dead_letters_unresolved${sel()}) > ${T}`;
    case 'parityDrift':
      return `max by (table) (tandem_parity_drift_keys${sel()}) > ${T}`;
    case 'untrackedWrites':
      return `max by (table) (tandem_untracked_writes${sel()}) > ${T}`;
    case 'shadowDrift':
      return (
        `(sum by (table) (rate(tandem_shadow_reads_total${sel('mode="ab"', 'class="drift"')}[${window}]))` +
        ` / sum by (table) (rate(tandem_shadow_reads_total${sel('mode="ab"', 'class=~"match|drift"')}[${window}]))) > ${T}` +
        ` and on (table) sum by (table) (increase(tandem_shadow_reads_total${sel('mode="ab"', 'class=~"match|drift"')}[${window}])) >= ${rule.minSamples}`
      );
    case 'stall':
      return (
        `max by (table) (tandem_table_outbox_oldest_pending_seconds${sel()}) > ${T}` +
        ` unless on (table) sum by (table) (increase(tandem_mirror_events_total${sel('outcome="applied"')}[${promDuration(rule.threshold * 1000)}])) > 0`
      );
  }
}

function sameRule(a: AlertRule, b: AlertRule): boolean {
  return (Object.keys(a) as Array<keyof AlertRule>).every((k) => a[k] === b[k]);
}

function promRule(rule: AlertRule, table: string | null, window: string, scope: string): PrometheusRule {
  return {
    alert: ALERT_NAME[rule.condition],
    expr: expression(rule, table, window),
    ...(rule.forMs > 0 ? { for: promDuration(rule.forMs) } : {}),
    ...(rule.keepFiringForMs > 0 ? { keep_firing_for: promDuration(rule.keepFiringForMs) } : {}),
    labels: { severity: rule.severity, tandem_rule: rule.condition },
    annotations: {
      summary: `{{ $labels.table }}: ${SUMMARY[rule.condition]} is {{ $value }} (threshold ${rule.threshold})`,
      description: `Tandem alert rule ${rule.condition} (${scope}); see docs/alerts.md.`,
    },
  };
}

/** The rules as a Prometheus rules file (an object; `prometheusRulesYaml` writes it). */
export function prometheusRules(policy: AlertPolicy): PrometheusRulesFile {
  const window = promDuration(policy.windowSeconds * 1000);
  const rules: PrometheusRule[] = [];
  for (const condition of ALERT_CONDITIONS) {
    const base = policy.default[condition];
    const own = Object.entries(policy.tables)
      .filter(([, set]) => !sameRule(set[condition], base))
      .map(([table]) => table)
      .sort();
    if (base.enabled)
      rules.push(promRule(base, own.length ? `table!~"${own.join('|')}"` : null, window, own.length ? 'default' : 'every table'));
    for (const table of own) {
      const rule = policy.tables[table]![condition];
      if (rule.enabled) rules.push(promRule(rule, `table="${table}"`, window, `table ${table}`));
    }
  }
  return { groups: [{ name: 'tandem', rules }] };
}

export function prometheusRulesYaml(policy: AlertPolicy): string {
  return (
    '# Prometheus alerting rules for Tandem, written by `tandem alerts export --prometheus`.\n' +
    '# The same rules Tandem evaluates in-process (docs/alerts.md).\n' +
    stringify(prometheusRules(policy), { lineWidth: 0 })
  );
}
