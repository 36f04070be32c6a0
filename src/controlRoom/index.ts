/** The control room's server side (docs/control-room-api.md). */
export { ControlRoom, type ControlRoomOptions, type FlagsView } from './controlRoom.js';
export { OverviewBuilder, RATE_WINDOW_MS } from './overview.js';
export { MetricSampler, DEFAULT_SAMPLE_INTERVAL_MS, samplesOf } from './sampler.js';
export {
  METRICS,
  WINDOWS,
  DEFAULT_RETENTION,
  recordSamples,
  compactSamples,
  readSeries,
  storedSamples,
  type MetricName,
  type WindowName,
  type Retention,
  type Series,
  type StoredSample,
} from './metricStore.js';
export { secretsOf, redactJson, REDACTED } from './redact.js';
export { EXACT_ROW_COUNT_BELOW, postgresRowCount, type ConvexRowCounter } from './rowCounts.js';
export {
  NO_ALERTS,
  type AlertSource,
  type AlertHistoryEntry,
  type Overview,
  type TableOverview,
} from './types.js';
export { grafanaDashboard, type GrafanaDashboardOptions } from './grafana.js';
