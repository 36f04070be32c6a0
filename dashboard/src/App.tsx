/**
 * The control room: a header (live status, admin token), the tabs, and the
 * current view. The overview arrives live (live.ts) and is handed to every
 * view, so a view refreshes its own data when the tables' figures move.
 */
import { useEffect, useState } from 'preact/hooks';
import { followOverview, type LiveStatus } from './live.js';
import { parseRoute, routeHash, VIEWS, type Route } from './route.js';
import { loadToken, saveToken } from './token.js';
import type { Overview } from './types.js';
import { TokenBar } from './views/TokenBar.js';
import { OverviewView } from './views/OverviewView.js';
import { ChartsView } from './views/ChartsView.js';
import { FlagsView } from './views/FlagsView.js';
import { DeadLettersView } from './views/DeadLettersView.js';
import { HistoryView } from './views/HistoryView.js';
import { ChecklistView } from './views/ChecklistView.js';

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'connecting…',
  live: 'live',
  polling: 'polling (event stream down)',
  offline: 'offline',
};

export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [overview, setOverview] = useState<Overview | null>(null);
  const [status, setStatus] = useState<{ status: LiveStatus; detail?: string }>({
    status: 'connecting',
  });
  const [token, setToken] = useState<string | null>(() => loadToken());

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(
    () =>
      followOverview({
        onOverview: setOverview,
        onStatus: (s, detail) => setStatus({ status: s, detail }),
      }),
    [],
  );

  const useToken = (value: string | null) => {
    saveToken(value);
    setToken(value);
  };
  const go = (next: Route) => {
    location.hash = routeHash(next);
  };

  return (
    <div class="shell">
      <header class="top">
        <h1>Tandem control room</h1>
        <span
          class={`live live-${status.status}`}
          data-testid="live-status"
          title={status.detail ?? ''}
        >
          {STATUS_TEXT[status.status]}
        </span>
        <TokenBar token={token} onChange={useToken} />
      </header>
      <nav class="tabs" aria-label="Views">
        {VIEWS.map(([id, label]) => (
          <a
            key={id}
            href={routeHash({ view: id, table: null })}
            class={route.view === id ? 'tab active' : 'tab'}
            aria-current={route.view === id ? 'page' : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
      {!token && (
        <p class="notice" data-testid="read-only">
          Read-only: enter an admin token above to change read stages or dead letters.
        </p>
      )}
      {status.status === 'offline' && (
        <p class="error" role="alert">
          The server does not answer: {status.detail}
        </p>
      )}
      <main>
        {route.view === 'tables' && (
          <OverviewView
            overview={overview}
            onOpenTable={(table) => go({ view: 'checklist', table })}
          />
        )}
        {route.view === 'charts' && <ChartsView overview={overview} />}
        {route.view === 'flags' && <FlagsView overview={overview} token={token} />}
        {route.view === 'dead-letters' && <DeadLettersView overview={overview} token={token} />}
        {route.view === 'history' && <HistoryView overview={overview} />}
        {route.view === 'checklist' && (
          <ChecklistView
            overview={overview}
            table={route.table}
            onSelect={(table) => go({ view: 'checklist', table })}
          />
        )}
      </main>
    </div>
  );
}
