/**
 * Dead letters: each with its reason, attempts and payload, with Retry (put
 * back in the relay's queue) and Discard (two clicks: it is given up for good,
 * and audited). Controls need an admin token.
 */
import { useState } from 'preact/hooks';
import { errorText, postJson } from '../api.js';
import * as fmt from '../format.js';
import { useData } from '../useData.js';
import type { DeadLetterItem, Overview } from '../types.js';

const LIMIT = 200;
/** Longer strings in a payload are cut in the view (a dead letter is often a value too large to store). */
const SHOWN_CHARS = 300;

function payloadText(payload: unknown): string {
  return JSON.stringify(
    payload,
    (_key, value: unknown) =>
      typeof value === 'string' && value.length > SHOWN_CHARS
        ? `${value.slice(0, SHOWN_CHARS)}… (${value.length.toLocaleString('en-US')} characters)`
        : value,
    2,
  );
}

function DeadLetterCard(props: { item: DeadLetterItem; token: string | null; onChanged(): void }) {
  const { item, token } = props;
  const [busy, setBusy] = useState(false);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const locked = !token || busy;
  const act = async (action: 'retry' | 'discard') => {
    setBusy(true);
    setError(null);
    try {
      await postJson(
        `/api/control/dead-letters/${item.id}/${action}`,
        action === 'discard' ? { reason: 'discarded from the control room' } : {},
        token,
      );
      props.onChanged();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      setConfirmDiscard(false);
    }
  };
  return (
    <li class="card" data-testid={`dead-letter-${item.id}`}>
      <div class="card-head">
        <strong>
          {item.table} {item.op} <code>{item.key}</code>
        </strong>
        <span class="muted small">
          #{item.id} · {item.attempts} {item.attempts === 1 ? 'attempt' : 'attempts'} ·{' '}
          {fmt.when(item.createdAt)}
        </span>
      </div>
      <p class="reason">
        {item.reason}
        {item.rule ? ` (rule ${item.rule}${item.column ? `, column ${item.column}` : ''})` : ''}
      </p>
      <details>
        <summary>Payload</summary>
        <pre>{payloadText(item.payload)}</pre>
      </details>
      <div class="controls">
        <button
          type="button"
          disabled={locked}
          title={token ? undefined : 'Needs an admin token'}
          onClick={() => void act('retry')}
        >
          Retry
        </button>
        {!confirmDiscard ? (
          <button
            type="button"
            class="danger"
            disabled={locked}
            title={token ? undefined : 'Needs an admin token'}
            onClick={() => setConfirmDiscard(true)}
          >
            Discard
          </button>
        ) : (
          <span class="confirm">
            Discard #{item.id} of {item.table} for good?{' '}
            <button
              type="button"
              class="danger"
              disabled={locked}
              onClick={() => void act('discard')}
            >
              Confirm discard
            </button>
            <button type="button" onClick={() => setConfirmDiscard(false)}>
              Cancel
            </button>
          </span>
        )}
      </div>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function DeadLettersView(props: { overview: Overview | null; token: string | null }) {
  const [table, setTable] = useState('');
  const key = props.overview?.tables.map((t) => `${t.table}:${t.deadLetters}`).join(',');
  const query = new URLSearchParams({ limit: String(LIMIT) });
  if (table) query.set('table', table);
  const { data, error, reload } = useData<{ deadLetters: DeadLetterItem[] }>(
    `/api/control/dead-letters?${query.toString()}`,
    key,
  );
  return (
    <section>
      <div class="toolbar">
        <label>
          Table{' '}
          <select value={table} onChange={(e) => setTable((e.target as HTMLSelectElement).value)}>
            <option value="">all tables</option>
            {props.overview?.tables.map((t) => (
              <option key={t.table} value={t.table}>
                {t.table} ({t.deadLetters})
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!data ? (
        <p class="muted">Loading dead letters…</p>
      ) : data.deadLetters.length === 0 ? (
        <p class="muted" data-testid="no-dead-letters">
          No dead letters.
        </p>
      ) : (
        <ul class="cards" data-testid="dead-letters">
          {data.deadLetters.map((item) => (
            <DeadLetterCard key={item.id} item={item} token={props.token} onChanged={reload} />
          ))}
        </ul>
      )}
    </section>
  );
}
