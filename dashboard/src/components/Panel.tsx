/**
 * A panel of one answer from the API, in exactly one of four states: loading, error
 * (with a retry), empty (saying why), or ready. `data-state` names it for tests and the
 * benchmark; while a new answer loads over an old one the old one stays, marked updating.
 */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export interface Loadable<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

interface PanelProps<T> {
  title: ReactNode;
  state: Loadable<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  actions?: ReactNode;
  className?: string;
  testId?: string;
  /** Height of the loading placeholder, so the layout does not jump. */
  minHeight?: number;
}

export function errorMessage(error: Error): string {
  if (!(error instanceof ApiError)) return error.message || 'Something went wrong.';
  switch (error.code) {
    case 'unreachable': // which service: the query or the admin one (api/client.ts)
      return `${error.detail || 'The query service cannot be reached.'} Check your connection and retry.`;
    case 'database_unavailable':
      return 'The database cannot be reached right now. Retry in a moment.';
    case 'query_timeout':
      return 'This query took too long. Narrow the time range or the filters, then retry.';
    case 'forbidden_project':
      return 'Your token does not grant this project.';
    case 'invalid_parameter':
      return `The request was refused: ${error.detail}`;
    default:
      return error.detail || `The query service answered HTTP ${error.status}.`;
  }
}

export function ErrorNotice({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <p>{errorMessage(error)}</p>
      {retry && (
        <button type="button" className="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Loading({ minHeight = 120, label = 'Loading…' }: { minHeight?: number; label?: string }) {
  return (
    <div className="loading" style={{ minHeight }} role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function Panel<T>({
  title, state, children, isEmpty, empty, actions, className, testId, minHeight,
}: PanelProps<T>) {
  const { data, error, loading } = state;
  let phase: 'loading' | 'error' | 'empty' | 'ready';
  let body: ReactNode;
  if (error) {
    phase = 'error';
    body = <ErrorNotice error={error} retry={state.reload} />;
  } else if (data == null) {
    phase = 'loading';
    body = <Loading minHeight={minHeight} />;
  } else if (isEmpty?.(data)) {
    phase = 'empty';
    body = <div className="notice notice-empty">{empty ?? 'No data for this selection.'}</div>;
  } else {
    phase = 'ready';
    body = children(data);
  }
  const updating = loading && data != null && !error;
  return (
    <section
      className={`panel ${className ?? ''}${updating ? ' updating' : ''}`}
      aria-busy={loading}
      data-state={loading && phase != 'error' ? 'loading' : phase}
      data-testid={testId}
    >
      <header className="panel-header">
        <h2 className="panel-title">{title}</h2>
        {actions && <div className="panel-actions">{actions}</div>}
      </header>
      <div className="panel-body">{body}</div>
    </section>
  );
}
