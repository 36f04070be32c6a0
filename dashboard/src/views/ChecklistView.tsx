/** A table's phase checklist: its phase, the next one, and every gate with its evidence. */
import * as fmt from '../format.js';
import { useData } from '../useData.js';
import type { Checklist, Overview } from '../types.js';

export function ChecklistView(props: {
  overview: Overview | null;
  table: string | null;
  onSelect(table: string): void;
}) {
  const tables = props.overview?.tables.map((t) => t.table) ?? [];
  const table = props.table ?? tables[0] ?? null;
  const row = props.overview?.tables.find((t) => t.table === table);
  const key = row ? `${row.phase}:${row.nextGate}:${row.readStage}` : undefined;
  const { data, error } = useData<Checklist>(
    table ? `/api/control/checklist/${encodeURIComponent(table)}` : null,
    key,
  );
  return (
    <section>
      <div class="toolbar">
        <label>
          Table{' '}
          <select
            value={table ?? ''}
            onChange={(e) => props.onSelect((e.target as HTMLSelectElement).value)}
          >
            {tables.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && data.table === table && (
        <div data-testid="checklist">
          <p>
            <strong>{data.table}</strong> is in phase <strong>{data.phase}</strong>
            {data.forced ? ' (forced)' : ''} since {fmt.when(data.enteredAt)}.{' '}
            {data.next
              ? `Next: ${data.next}; ${data.unmet.length === 0 ? 'every gate is met.' : `unmet: ${data.unmet.join(', ')}.`}`
              : 'Done.'}
          </p>
          <ul class="gates">
            {data.gates.map((g) => (
              <li key={g.gate} class={g.met ? 'met' : 'unmet'}>
                <span class="mark" aria-label={g.met ? 'met' : 'not met'}>
                  {g.met ? '✓' : '✗'}
                </span>{' '}
                <strong>{g.gate}</strong> — {g.description}
                <div class="muted small">
                  {g.evidence}
                  {g.metAt ? ` (met ${fmt.when(g.metAt)})` : ''}
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
