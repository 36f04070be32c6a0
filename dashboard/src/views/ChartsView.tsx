/** The metrics over time, one chart each, for a chosen window and optionally one table. */
import { useState } from 'preact/hooks';
import * as fmt from '../format.js';
import { useData } from '../useData.js';
import {
  WINDOWS,
  type Metric,
  type Overview,
  type SeriesResponse,
  type SeriesWindow,
} from '../types.js';
import { TimeChart } from './TimeChart.js';

const CHARTS: Array<[Metric, string, (v: number) => string, ((v: number) => string)?]> = [
  ['successRate', 'Mirror success rate', (v) => fmt.ratio(v)],
  ['latencyP50', 'Apply latency p50', (v) => fmt.millis(v)],
  ['latencyP99', 'Apply latency p99', (v) => fmt.millis(v)],
  ['lag', 'Lag (oldest pending change)', (v) => fmt.age(v), (v) => `${fmt.count(Math.round(v))} s`],
  ['retryQueue', 'Retry queue', (v) => fmt.count(v)],
  ['drift', 'Parity drift (keys)', (v) => fmt.count(v)],
];

/** Charts refresh at most this often from the live overview (the sampler records every 10 s). */
const REFRESH_MS = 10_000;

function MetricChart(props: {
  metric: Metric;
  title: string;
  format(v: number): string;
  axisFormat?(v: number): string;
  window: SeriesWindow;
  table: string;
  tick: number;
}) {
  const query = new URLSearchParams({ metric: props.metric, window: props.window });
  if (props.table) query.set('table', props.table);
  const { data, error } = useData<SeriesResponse>(
    `/api/control/series?${query.toString()}`,
    props.tick,
  );
  return (
    <div>
      <TimeChart
        title={props.title}
        data={data}
        format={props.format}
        axisFormat={props.axisFormat}
      />
      {error && <p class="error small">{error}</p>}
    </div>
  );
}

export function ChartsView(props: { overview: Overview | null }) {
  const [span, setSpan] = useState<SeriesWindow>('1h');
  const [table, setTable] = useState('');
  const tick = Math.floor((props.overview?.generatedAt ?? 0) / REFRESH_MS);
  return (
    <section>
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Window">
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              class={w === span ? 'on' : undefined}
              aria-pressed={w === span}
              onClick={() => setSpan(w)}
            >
              {w}
            </button>
          ))}
        </div>
        <label>
          Table{' '}
          <select value={table} onChange={(e) => setTable((e.target as HTMLSelectElement).value)}>
            <option value="">all tables</option>
            {props.overview?.tables.map((t) => (
              <option key={t.table} value={t.table}>
                {t.table}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="charts">
        {CHARTS.map(([metric, title, format, axisFormat]) => (
          <MetricChart
            key={metric}
            metric={metric}
            title={title}
            format={format}
            axisFormat={axisFormat}
            window={span}
            table={table}
            tick={tick}
          />
        ))}
      </div>
    </section>
  );
}
