import type { MouseEvent } from 'react';
import type { ViewState } from '../state/url';
import type { Navigate } from '../state/useUrlState';

/** An in-app link: a plain click navigates in place; modified clicks open a new tab as usual. */
export function followLink(navigate: Navigate, changes: Partial<ViewState>) {
  return (event: MouseEvent) => {
    if (event.button != 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(changes);
  };
}
