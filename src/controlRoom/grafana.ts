/**
 * A Grafana dashboard (JSON model, schemaVersion 39) over Tandem's Prometheus
 * metrics (src/relay/metrics.ts, and the parity-drift gauge): the same figures
 * as the control room, for teams that already run Prometheus and Grafana.
 * The Prometheus data source and the tables shown are dashboard variables,
 * so the file imports unchanged into any Grafana.
 */

export interface GrafanaDashboardOptions {
  title?: string;
  uid?: string;
}

interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat';
  unit: string;
  targets: Array<{ expr: string; legendFormat: string }>;
  /** Grid width (of 24). */
  w: number;
}

/** Label filter every per-table query carries: the `table` variable (All by default). */
const TABLES = 'table=~"$table"';
const RATE = '5m';

export const GRAFANA_PANELS: readonly PanelSpec[] = [
  {
    title: 'Mirror success rate',
    description: 'Changes applied over all changes handled (applied, failed, dead), per table',
    type: 'timeseries',
    unit: 'percentunit',
    w: 12,
    targets: [
      {
        expr: `sum by (table) (rate(tandem_mirror_events_total{outcome="applied",${TABLES}}[${RATE}])) / sum by (table) (rate(tandem_mirror_events_total{${TABLES}}[${RATE}]))`,
        legendFormat: '{{table}}',
      },
    ],
  },
  {
    title: 'Apply latency p50 / p99',
    description: 'Latency of successful Convex apply mutations',
    type: 'timeseries',
    unit: 's',
    w: 12,
    targets: [
      {
        expr: `histogram_quantile(0.5, sum by (le) (rate(tandem_apply_latency_seconds_bucket[${RATE}])))`,
        legendFormat: 'p50',
      },
      {
        expr: `histogram_quantile(0.99, sum by (le) (rate(tandem_apply_latency_seconds_bucket[${RATE}])))`,
        legendFormat: 'p99',
      },
    ],
  },
  {
    title: 'Outbox pending',
    description: 'Captured changes not yet applied to Convex',
    type: 'timeseries',
    unit: 'short',
    w: 8,
    targets: [{ expr: 'max(tandem_outbox_pending)', legendFormat: 'pending' }],
  },
  {
    title: 'Oldest pending change (lag)',
    description: 'Age of the oldest change not yet applied',
    type: 'timeseries',
    unit: 's',
    w: 8,
    targets: [{ expr: 'max(tandem_outbox_oldest_pending_seconds)', legendFormat: 'lag' }],
  },
  {
    title: 'Retries',
    description: 'Events scheduled for another attempt, per second',
    type: 'timeseries',
    unit: 'ops',
    w: 8,
    targets: [{ expr: `sum(rate(tandem_retries_total[${RATE}]))`, legendFormat: 'retries' }],
  },
  {
    title: 'Dead letters (unresolved)',
    description: 'Dead letters neither retried nor discarded, per table',
    type: 'timeseries',
    unit: 'short',
    w: 8,
    targets: [
      {
        expr: `max by (table) (tandem_dead_letters_unresolved{${TABLES}})`,
        legendFormat: '{{table}}',
      },
    ],
  },
  {
    title: 'Parity drift',
    description: 'Drift keys found by the latest parity run, per table',
    type: 'timeseries',
    unit: 'short',
    w: 8,
    targets: [
      { expr: `max by (table) (tandem_parity_drift_keys{${TABLES}})`, legendFormat: '{{table}}' },
    ],
  },
  {
    title: 'Untracked writes',
    description:
      'Writes captured without the mirror helper (paths not yet instrumented), per table',
    type: 'timeseries',
    unit: 'short',
    w: 8,
    targets: [
      { expr: `max by (table) (tandem_untracked_writes{${TABLES}})`, legendFormat: '{{table}}' },
    ],
  },
];

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export function grafanaDashboard(options: GrafanaDashboardOptions = {}): Record<string, unknown> {
  let x = 0;
  let y = 0;
  const panels = GRAFANA_PANELS.map((p, i) => {
    if (x + p.w > 24) {
      x = 0;
      y += 8;
    }
    const gridPos = { x, y, w: p.w, h: 8 };
    x += p.w;
    return {
      id: i + 1,
      type: p.type,
      title: p.title,
      description: p.description,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true } },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: DATASOURCE,
        expr: t.expr,
        legendFormat: t.legendFormat,
      })),
    };
  });
  return {
    uid: options.uid ?? 'tandem-mirror',
    title: options.title ?? 'Tandem: Postgres → Convex mirror',
    description:
      'Mirror health per table: success rate, apply latency, outbox, retries, dead letters, parity drift',
    tags: ['tandem', 'convex', 'postgres'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    annotations: { list: [] },
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Prometheus',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
        {
          type: 'query',
          name: 'table',
          label: 'Table',
          datasource: DATASOURCE,
          query: { query: 'label_values(tandem_mirror_events_total, table)', refId: 'tables' },
          definition: 'label_values(tandem_mirror_events_total, table)',
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: { text: ['All'], value: ['$__all'] },
          sort: 1,
          hide: 0,
        },
      ],
    },
    panels,
  };
}
