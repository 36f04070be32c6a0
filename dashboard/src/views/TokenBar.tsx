/** The admin token field: masked while typed, never shown once set, forgotten on request or with the tab. */
import { useState } from 'preact/hooks';

export function TokenBar(props: { token: string | null; onChange(token: string | null): void }) {
  const [draft, setDraft] = useState('');
  if (props.token) {
    return (
      <div class="token">
        <span data-testid="token-state">admin token set</span>
        <button type="button" onClick={() => props.onChange(null)}>
          Forget token
        </button>
      </div>
    );
  }
  return (
    <form
      class="token"
      onSubmit={(event) => {
        event.preventDefault();
        const value = draft.trim();
        if (value) props.onChange(value);
        setDraft('');
      }}
    >
      <label>
        <span class="sr-only">Admin token</span>
        <input
          type="password"
          name="admin-token"
          autocomplete="off"
          placeholder="admin token"
          value={draft}
          onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={draft.trim() === ''}>
        Use token
      </button>
    </form>
  );
}
