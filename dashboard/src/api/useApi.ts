/**
 * One GET to the query service as component state: loading, data, error, retry.
 *
 * Answers are kept for a short while per URL and token, so moving between views and back
 * shows them at once; identical requests in flight are shared. While a new selection
 * loads, the previous answer stays on screen (marked as updating) instead of flashing empty.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, getJson } from './client';
import { SESSION_ENDED } from './session';
import { useApiContext } from './context';

// Short: "last 24 h" ends at the next whole minute, so a minute-old answer is still right.
const FRESH_MS = 30_000;
const MAX_ENTRIES = 200;

interface Entry {
  at: number;
  promise: Promise<unknown>;
}

const cache = new Map<string, Entry>();

function remember(key: string, promise: Promise<unknown>): void {
  cache.set(key, { at: Date.now(), promise });
  promise.catch(() => cache.delete(key)); // errors are never cached
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
}

export function clearApiCache(): void {
  cache.clear();
}

export interface ApiState<T> {
  data: T | null;
  error: Error | null;
  /** true while an answer for the current request is awaited */
  loading: boolean;
  /** Ask again, bypassing the kept answer. */
  reload: () => void;
}

export interface ApiOptions {
  /** How old a kept answer may be shown (default 30 s); 0 asks afresh every time (alerts). */
  maxAgeMs?: number;
}

/** `path` null: nothing to ask yet. */
export function useApi<T>(path: string | null, params?: URLSearchParams, options?: ApiOptions): ApiState<T> {
  const maxAgeMs = options?.maxAgeMs ?? FRESH_MS;
  const { config, session, signOut } = useApiContext();
  const query = params?.toString() ?? '';
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path != null,
  });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (path == null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const key = `${session.token}\n${path}?${query}`;
    const kept = cache.get(key);
    let promise: Promise<unknown>;
    if (kept && Date.now() - kept.at < maxAgeMs) {
      promise = kept.promise;
    } else {
      // Shared by every reader of this URL, so one leaving does not abort it: the answer is kept.
      promise = getJson<T>(config, session.token, path, new URLSearchParams(query));
      remember(key, promise);
    }
    let current = true;
    setState((previous) => ({ data: previous.data, error: null, loading: true }));
    promise.then(
      (data) => {
        if (current) setState({ data: data as T, error: null, loading: false });
      },
      (error: Error) => {
        if (!current) return;
        if (error instanceof ApiError && error.signedOut) signOut(SESSION_ENDED);
        setState({ data: null, error, loading: false });
      },
    );
    return () => {
      current = false;
    };
  }, [config, session.token, path, query, generation, signOut, maxAgeMs]);

  const reload = useCallback(() => {
    const key = `${session.token}\n${path}?${query}`;
    cache.delete(key);
    setGeneration((g) => g + 1);
  }, [session.token, path, query]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
