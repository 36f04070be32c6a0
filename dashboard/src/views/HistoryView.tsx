/** What happened: parity runs, alerts, and the audit log of every change. */
import * as fmt from '../format.js';
import { useData } from '../useData.js';
import type { AlertHistoryEntry, AuditEntry, Overview, ParityRun } from '../types.js';

const REFRESH_MS = 10_000;

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

export function HistoryView(props: { overview: Overview | null }) {
  const tick = Math.floor((props.overview?.generatedAt ?? 0) / REFRESH_MS);
  const parity = useData<{ runs: ParityRun[] }>('/api/control/history/parity?limit=50', tick);
  const alerts = useData<{ alerts: AlertHistoryEntry[] }>('/api/control/history/alerts', tick);
  const audit = useData<{ entries: AuditEntry[] }>('/api/control/audit?limit=100', tick);
  return (
    <section class="history">
      <h2>Parity runs</h2>
      {parity.error && <p class="error">{parity.error}</p>}
      {parity.data && parity.data.runs.length === 0 && <p class="muted">No parity run yet.</p>}
      {parity.data && parity.data.runs.length > 0 && (
        <div class="table-wrap">
          <table class="grid" data-testid="parity-history">
            <thead>
              <tr>
                <th scope="col">Finished</th>
                <th scope="col">Table</th>
                <th scope="col">Mode</th>
                <th scope="col">Result</th>
                <th scope="col">Rows PG / Convex</th>
              </tr>
            </thead>
            <tbody>
              {parity.data.runs.map((run) => (
                <tr key={run.id} class={run.clean ? undefined : 'attention'}>
                  <td data-label="Finished">{fmt.when(run.finishedAt)}</td>
                  <td data-label="Table">{run.table}</td>
                  <td data-label="Mode">{run.mode}</td>
                  <td data-label="Result">
                    {run.clean ? 'clean' : `${fmt.count(run.driftCount)} keys drift`}
                    {run.pendingCount > 0 ? ` (${fmt.count(run.pendingCount)} pending)` : ''}
                  </td>
                  <td data-label="Rows PG / Convex">
                    {fmt.count(run.pgRows)} / {fmt.count(run.convexRows)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Alerts</h2>
      {alerts.error && <p class="error">{alerts.error}</p>}
      {alerts.data && alerts.data.alerts.length === 0 && <p class="muted">No alert has fired.</p>}
      {alerts.data && alerts.data.alerts.length > 0 && (
        <ul class="log" data-testid="alert-history">
          {alerts.data.alerts.map((a, i) => (
            <li key={i}>
              <span class="muted">{fmt.when(a.at)}</span> <strong>{a.state}</strong> {a.rule}
              {a.table ? ` (${a.table})` : ''} <span class="detail">{detailText(a.detail)}</span>
            </li>
          ))}
        </ul>
      )}

      <h2>Audit log</h2>
      {audit.error && <p class="error">{audit.error}</p>}
      {audit.data && audit.data.entries.length === 0 && <p class="muted">Nothing changed yet.</p>}
      {audit.data && audit.data.entries.length > 0 && (
        <ul class="log" data-testid="audit-log">
          {audit.data.entries.map((e, i) => (
            <li key={i}>
              <span class="muted">{fmt.when(e.at)}</span> <strong>{e.action}</strong> {e.target}{' '}
              <span class="muted">by {e.actor}</span>{' '}
              <span class="detail">{detailText(e.detail)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
