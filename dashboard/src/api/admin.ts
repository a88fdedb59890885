/**
 * The admin service from components: a list it serves (destinations) as panel state, and
 * writes (rules, destinations, test notifications) with their pending and error states.
 * Never kept: every list is asked afresh, and every write is followed by a reload.
 */
import { useCallback, useEffect, useState } from 'react';
import { type AdminMethod, ApiError, adminJson } from './client';
import { useApiContext } from './context';
import { roleIn } from './roles';
import { SESSION_ENDED } from './session';
import type { ApiState } from './useApi';

/** Whether the signed-in token claims the admin role in `project` (the server decides). */
export function useIsAdmin(project: number): boolean {
  const { session } = useApiContext();
  return roleIn(session.token, project) == 'admin';
}

export function useAdminGet<T>(path: string): ApiState<T> {
  const { config, session, signOut } = useApiContext();
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null, error: null, loading: true,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ data: previous.data, error: null, loading: true }));
    adminJson<T>(config, session.token, 'GET', path).then(
      (data) => {
        if (current) setState({ data, error: null, loading: false });
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
  }, [config, session.token, path, generation, signOut]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

export interface AdminWrite {
  /** The answer, or null after a 204 or a refusal (then `error` says why). */
  run: <T>(method: AdminMethod, path: string, body?: unknown) => Promise<{ ok: boolean; data: T | null }>;
  pending: boolean;
  error: Error | null;
  clearError: () => void;
}

export function useAdminWrite(): AdminWrite {
  const { config, session, signOut } = useApiContext();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = useCallback(
    async <T>(method: AdminMethod, path: string, body?: unknown) => {
      setPending(true);
      setError(null);
      try {
        const data = await adminJson<T>(config, session.token, method, path, body);
        return { ok: true, data };
      } catch (caught) {
        if (caught instanceof ApiError && caught.signedOut) signOut(SESSION_ENDED);
        setError(caught as Error);
        return { ok: false, data: null };
      } finally {
        setPending(false);
      }
    },
    [config, session.token, signOut],
  );
  const clearError = useCallback(() => setError(null), []);
  return { run, pending, error, clearError };
}

/** Calls `reload` every `everyMs` while the page is visible: alerts change by the minute. */
export function usePolling(reload: () => void, everyMs: number): void {
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState == 'visible') reload();
    }, everyMs);
    return () => window.clearInterval(timer);
  }, [reload, everyMs]);
}
