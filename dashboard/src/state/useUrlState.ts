/** The view state lives in the URL: read it, change it (a history entry), follow back/forward. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type ViewState, parseState, serializeState, withChanges } from './url';

export type Navigate = (changes: Partial<ViewState>, options?: { replace?: boolean }) => void;

export function useUrlState(): [ViewState, Navigate] {
  const [search, setSearch] = useState(() => window.location.search);

  useEffect(() => {
    const follow = () => setSearch(window.location.search);
    window.addEventListener('popstate', follow);
    return () => window.removeEventListener('popstate', follow);
  }, []);

  const navigate = useCallback<Navigate>((changes, options = {}) => {
    const next = serializeState(withChanges(parseState(window.location.search), changes));
    if (next == window.location.search) return;
    const url = `${window.location.pathname}${next}${window.location.hash}`;
    if (options.replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    setSearch(next);
  }, []);

  const state = useMemo(() => parseState(search), [search]);
  return [state, navigate];
}

/** A link's href for a state change, so views and pages open in new tabs too. */
export function hrefFor(state: ViewState, changes: Partial<ViewState>): string {
  return `${window.location.pathname}${serializeState(withChanges(state, changes)) || '?'}`;
}
