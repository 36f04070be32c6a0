/**
 * One time-series chart (uPlot): a line per table over the window's samples.
 * Tables sampled at different instants are aligned on the union of their
 * timestamps (uPlot.join); a gap (null) stays a gap instead of being drawn
 * through. The chart follows its container's width, down to a phone's.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { SeriesResponse } from '../types.js';

const COLORS = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];
const HEIGHT = 180;

export function TimeChart(props: {
  title: string;
  data: SeriesResponse | null;
  format(value: number): string;
  /** Tick labels, where the legend's format is too long for the axis. */
  axisFormat?(value: number): string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { data, format } = props;
  const axisFormat = props.axisFormat ?? format;
  const empty = !data || data.series.every((s) => s.points.length === 0);

  useEffect(() => {
    const el = box.current;
    if (!el || !data || empty) return;
    const perTable = data.series.map((s): uPlot.AlignedData => [
      s.points.map((p) => p[0] / 1000),
      s.points.map((p) => p[1]),
    ]);
    const aligned = uPlot.join(perTable);
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: { x: { time: true } },
        series: [
          {},
          ...data.series.map((s, i) => ({
            label: s.table,
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
          })),
        ],
        axes: [{}, { values: (_u: uPlot, ticks: number[]) => ticks.map(axisFormat), size: 64 }],
        legend: { live: true },
      },
      aligned,
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, format, axisFormat, empty]);

  return (
    <figure class="chart" data-testid={`chart-${data?.metric ?? 'pending'}`}>
      <figcaption>{props.title}</figcaption>
      {empty ? (
        <p class="muted small">{data ? 'No samples in this window yet.' : 'Loading…'}</p>
      ) : (
        <div ref={box} class="plot" />
      )}
    </figure>
  );
}
