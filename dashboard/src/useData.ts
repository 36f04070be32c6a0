/**
 * Loads one GET endpoint for a view and loads it again when `refreshKey`
 * changes (a view derives it from the live overview, so its data follows the
 * figures) or when asked. The last good data stays shown while a reload runs
 * or fails; the failure is shown beside it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, getJson } from './api.js';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload(): void;
}

export function useData<T>(path: string | null, refreshKey: unknown): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nonce, setNonce] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    if (path === null) return;
    const request = ++latest.current;
    getJson<T>(path).then(
      (value) => {
        if (request !== latest.current) return;
        setData(value);
        setError(null);
      },
      (err: unknown) => {
        if (request === latest.current) setError(errorText(err));
      },
    );
  }, [path, refreshKey, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, reload };
}
