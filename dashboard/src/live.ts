/**
 * The overview, kept current: Server-Sent Events from /api/control/events
 * (the server pushes a new overview within a second of a change), and polling
 * every POLL_MS while the event stream is down, until it delivers again.
 */
import { getJson, errorText } from './api.js';
import type { Overview } from './types.js';

export const POLL_MS = 2000;
export type LiveStatus = 'connecting' | 'live' | 'polling' | 'offline';

export interface LiveHandlers {
  onOverview(overview: Overview): void;
  onStatus(status: LiveStatus, detail?: string): void;
}

export function followOverview(handlers: LiveHandlers): () => void {
  let poller: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const poll = async () => {
    try {
      const overview = await getJson<Overview>('/api/control/overview');
      if (closed) return;
      handlers.onOverview(overview);
      if (poller !== undefined) handlers.onStatus('polling');
    } catch (err) {
      if (!closed) handlers.onStatus('offline', errorText(err));
    }
  };
  const startPolling = () => {
    if (poller === undefined && !closed) poller = setInterval(() => void poll(), POLL_MS);
  };
  const stopPolling = () => {
    if (poller !== undefined) clearInterval(poller);
    poller = undefined;
  };

  handlers.onStatus('connecting');
  void poll();
  let source: EventSource | undefined;
  if (typeof EventSource === 'function') {
    source = new EventSource('/api/control/events');
    source.addEventListener('overview', (event) => {
      stopPolling();
      try {
        handlers.onOverview(JSON.parse((event as MessageEvent<string>).data) as Overview);
        handlers.onStatus('live');
      } catch (err) {
        handlers.onStatus('offline', `bad event: ${errorText(err)}`);
      }
    });
    // EventSource reconnects by itself; until it delivers again, poll.
    source.addEventListener('error', () => {
      if (closed) return;
      handlers.onStatus('polling');
      startPolling();
    });
  } else {
    startPolling();
  }
  return () => {
    closed = true;
    stopPolling();
    source?.close();
  };
}
