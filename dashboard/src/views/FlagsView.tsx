/**
 * Read stages per table, with the controls to move them. A rollback (every
 * read back to Postgres) takes two clicks: Roll back, then a confirmation that
 * names the table and the stage it leaves. Without an admin token the
 * controls are disabled; the server refuses such a change anyway (401).
 */
import { useEffect, useState } from 'preact/hooks';
import { errorText, postJson } from '../api.js';
import * as fmt from '../format.js';
import { useData } from '../useData.js';
import type { FlagRow, FlagsResponse, Overview } from '../types.js';

const NEEDS_TOKEN = 'Needs an admin token';

function FlagControls(props: {
  row: FlagRow;
  stages: string[];
  token: string | null;
  onChanged(): void;
}) {
  const { row, token } = props;
  const [stage, setStage] = useState(row.stage);
  const [percent, setPercent] = useState(String(row.percent ?? 0));
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  // A change from elsewhere (another operator, the CLI) resets the form to the table's stage.
  useEffect(() => {
    setStage(row.stage);
    setPercent(String(row.percent ?? 0));
  }, [row.stage, row.percent]);
  const locked = !token || busy;
  const path = `/api/control/flags/${encodeURIComponent(row.table)}`;

  const act = async (what: string, run: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await run();
      setMessage({ error: false, text: what });
      props.onChanged();
    } catch (err) {
      setMessage({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const setStageNow = () =>
    act(`${row.table}: read stage set to ${fmt.stage(stage, Number(percent))}`, () =>
      postJson(
        path,
        {
          stage,
          reason,
          force,
          ...(stage === 'convex-percent' ? { percent: Number(percent) } : {}),
        },
        token,
      ),
    );
  const rollback = () =>
    act(`${row.table}: rolled back to postgres`, async () => {
      setConfirming(false);
      await postJson(
        `${path}/rollback`,
        { reason: reason || 'rollback from the control room' },
        token,
      );
    });

  return (
    <div class="controls" data-testid={`flag-controls-${row.table}`}>
      <label>
        <span class="sr-only">Stage for {row.table}</span>
        <select
          value={stage}
          disabled={locked}
          title={token ? undefined : NEEDS_TOKEN}
          onChange={(e) => setStage((e.target as HTMLSelectElement).value)}
        >
          {props.stages.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {stage === 'convex-percent' && (
        <label>
          <input
            class="percent"
            type="number"
            min={0}
            max={100}
            value={percent}
            disabled={locked}
            onInput={(e) => setPercent((e.target as HTMLInputElement).value)}
          />{' '}
          %
        </label>
      )}
      <label>
        <span class="sr-only">Reason</span>
        <input
          type="text"
          placeholder="reason"
          value={reason}
          disabled={locked}
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
      </label>
      <label class="small" title="Allow a move that skips a step (audited as forced)">
        <input
          type="checkbox"
          checked={force}
          disabled={locked}
          onChange={(e) => setForce((e.target as HTMLInputElement).checked)}
        />{' '}
        force
      </label>
      <button
        type="button"
        disabled={locked || reason.trim() === ''}
        title={token ? 'A reason is required' : NEEDS_TOKEN}
        onClick={() => void setStageNow()}
      >
        Set stage
      </button>
      {!confirming ? (
        <button
          type="button"
          class="danger"
          disabled={locked || row.stage === 'postgres'}
          title={token ? undefined : NEEDS_TOKEN}
          onClick={() => setConfirming(true)}
        >
          Rollback
        </button>
      ) : (
        <div class="confirm" role="alertdialog" aria-label={`Confirm rollback of ${row.table}`}>
          <p>
            Roll back <strong>{row.table}</strong> from{' '}
            <strong>{fmt.stage(row.stage, row.percent)}</strong> to postgres? Every read of{' '}
            {row.table} goes to Postgres at once.
          </p>
          <button type="button" class="danger" disabled={locked} onClick={() => void rollback()}>
            Confirm rollback
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {message && (
        <p
          class={message.error ? 'error small' : 'ok small'}
          role={message.error ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      )}
    </div>
  );
}

export function FlagsView(props: { overview: Overview | null; token: string | null }) {
  const key = props.overview?.tables
    .map((t) => `${t.table}:${t.readStage}:${t.readPercent}`)
    .join(',');
  const { data, error, reload } = useData<FlagsResponse>('/api/control/flags', key);
  return (
    <section>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!data ? (
        <p class="muted">Loading read stages…</p>
      ) : (
        <div class="table-wrap">
          <table class="grid flags" data-testid="flags">
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Read stage</th>
                <th scope="col">Changed</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {data.tables.map((row) => (
                <tr key={row.table} data-table={row.table}>
                  <th scope="row">{row.table}</th>
                  <td data-label="Read stage" data-col="stage">
                    {fmt.stage(row.stage, row.percent)}
                  </td>
                  <td data-label="Changed">
                    {fmt.when(row.updatedAt)}
                    {row.updatedBy ? ` by ${row.updatedBy}` : ''}
                  </td>
                  <td data-label="Change">
                    <FlagControls
                      key={row.table}
                      row={row}
                      stages={data.stages}
                      token={props.token}
                      onChanged={reload}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
