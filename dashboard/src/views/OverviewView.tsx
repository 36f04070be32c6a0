/** One row per table with every figure of the overview; on a phone each row becomes a card (styles.css). */
import type { ComponentChild } from 'preact';
import * as fmt from '../format.js';
import type { Overview, TableOverview } from '../types.js';

const COLUMNS: Array<[string, (t: TableOverview) => ComponentChild]> = [
  [
    'Phase',
    (t) => (
      <>
        {t.phase}
        {t.nextGate && <div class="muted small">next gate: {t.nextGate}</div>}
      </>
    ),
  ],
  ['Read stage', (t) => fmt.stage(t.readStage, t.readPercent)],
  // An estimate (a big table's planner statistics) is marked as one.
  [
    'Rows Postgres / Convex',
    (t) =>
      `${t.rows.postgresEstimated ? '≈' : ''}${fmt.count(t.rows.postgres)} / ${fmt.count(t.rows.convex)}`,
  ],
  ['Success (5 min)', (t) => fmt.ratio(t.successRate)],
  [
    'Latency p50 / p99',
    (t) => `${fmt.millis(t.applyLatencyMs?.p50)} / ${fmt.millis(t.applyLatencyMs?.p99)}`,
  ],
  [
    'Outbox pending',
    (t) =>
      t.oldestPendingSeconds === null
        ? fmt.count(t.outboxPending)
        : `${fmt.count(t.outboxPending)} (oldest ${fmt.age(t.oldestPendingSeconds)})`,
  ],
  ['Retry queue', (t) => fmt.count(t.retryQueue)],
  ['Dead letters', (t) => fmt.count(t.deadLetters)],
  ['Drift', (t) => fmt.count(t.drift)],
  ['Parity streak', (t) => `${t.parityStreakDays} d`],
  ['Untracked writes', (t) => fmt.count(t.untrackedWrites)],
  ['Alerts firing', (t) => fmt.count(t.alertsFiring)],
];

/** A row needs a look when something is lost, stuck or firing. */
function needsAttention(t: TableOverview): boolean {
  return (
    t.deadLetters > 0 ||
    (t.drift ?? 0) > 0 ||
    t.alertsFiring > 0 ||
    (t.successRate !== null && t.successRate < 0.99)
  );
}

export function OverviewView(props: {
  overview: Overview | null;
  onOpenTable(table: string): void;
}) {
  const { overview } = props;
  if (!overview) return <p class="muted">Waiting for the first overview…</p>;
  if (overview.tables.length === 0) return <p class="muted">No mirrored tables yet.</p>;
  return (
    <section>
      <p class="muted small">
        {overview.tables.length} tables · as of {fmt.when(overview.generatedAt)}
      </p>
      <div class="table-wrap">
        <table class="grid overview" data-testid="overview">
          <thead>
            <tr>
              <th scope="col">Table</th>
              {COLUMNS.map(([label]) => (
                <th key={label} scope="col">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {overview.tables.map((t) => (
              <tr
                key={t.table}
                data-table={t.table}
                class={needsAttention(t) ? 'attention' : undefined}
              >
                <th scope="row">
                  <button
                    type="button"
                    class="link"
                    onClick={() => props.onOpenTable(t.table)}
                    title="Open the checklist"
                  >
                    {t.table}
                  </button>
                </th>
                {COLUMNS.map(([label, cell]) => (
                  <td key={label} data-label={label} data-col={label}>
                    {cell(t)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
