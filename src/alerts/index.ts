/**
 * Alert rules (docs/alerts.md): config, the in-process evaluator, the
 * Postgres snapshot source, history, sinks and the Prometheus export.
 */
export {
  ALERT_CONDITIONS,
  ALERT_SEVERITIES,
  BUILT_IN_RULES,
  DEFAULT_ALERT_POLICY,
  alertsConfigSchema,
  checkPolicyTables,
  enabledConditions,
  resolveAlertPolicy,
  rulesForTable,
  type AlertCondition,
  type AlertPolicy,
  type AlertRule,
  type AlertRuleSet,
  type AlertSeverity,
  type AlertsConfigInput,
} from './rules.js';
export { AlertEvaluator, observe, type AlertInstance, type AlertState, type AlertTransition } from './evaluator.js';
export {
  PostgresSnapshotSource,
  emptySnapshot,
  type AlertSnapshotSource,
  type RateValue,
  type TableSnapshot,
} from './snapshot.js';
export {
  currentAlerts,
  listAlertHistory,
  recordTransition,
  type AlertEvent,
  type AlertHistoryQuery,
  type CurrentAlert,
} from './history.js';
export {
  LogSink,
  WebhookSink,
  redactSecrets,
  webhookPayload,
  type AlertNotification,
  type AlertSink,
  type WebhookSinkOptions,
} from './sinks.js';
export { AlertMonitor, type AlertMonitorOptions, type AlertTick } from './monitor.js';
export { alertSinks, processSecrets, startAlerting } from './start.js';
export { prometheusRules, prometheusRulesYaml, promDuration, type PrometheusRulesFile } from './prometheusRules.js';
