/** The dashboard shell: sign-in, project choice, navigation, the shared controls, the view. */
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiContext, type ApiContextValue } from './api/context';
import { type Session, clearSession, loadSession, saveSession } from './api/session';
import { clearApiCache } from './api/useApi';
import { DeviceSwitch, FilterBar, RangePicker } from './components/Controls';
import { Loading } from './components/Panel';
import type { Config } from './config';
import { VIEWS, type View, type ViewState } from './state/url';
import { type Navigate, hrefFor, useUrlState } from './state/useUrlState';
import { Alerts } from './views/Alerts';
import { Attribution } from './views/Attribution';
import { Breakdowns } from './views/Breakdowns';
import { Distribution } from './views/Distribution';
import { followLink } from './views/links';
import { Overview } from './views/Overview';
import { Releases } from './views/Releases';
import { ProjectPicker, SignIn } from './views/SignIn';
import { Trends } from './views/Trends';

// Socket.IO is only needed on the live view: its own chunk keeps it off the overview's path.
const Live = lazy(() => import('./views/Live').then((m) => ({ default: m.Live })));

export const VIEW_NAMES: Record<View, string> = {
  overview: 'Overview',
  trends: 'Trends',
  distribution: 'Distribution',
  breakdowns: 'Breakdowns',
  attribution: 'Attribution',
  releases: 'Releases',
  alerts: 'Alerts',
  live: 'Live',
};

function Nav({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  return (
    <nav className="views-nav" aria-label="Views">
      <ul>
        {VIEWS.map((view) => (
          <li key={view}>
            <a
              href={hrefFor(state, { view })}
              aria-current={state.view == view ? 'page' : undefined}
              onClick={followLink(navigate, { view })}
            >
              {view == 'live' && <span className="live-dot" aria-hidden="true" />}
              {VIEW_NAMES[view]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Shell({ state, navigate, session, signOut }: { state: ViewState; navigate: Navigate; session: Session; signOut: () => void }) {
  const project = state.project!;
  useEffect(() => {
    document.title = `${VIEW_NAMES[state.view]} · Project ${project} · Vitals`;
  }, [state.view, project]);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> Vitals
        </div>
        {session.projects.length > 1 ? (
          <label className="project-select">
            <span className="sr-only">Project</span>
            <select value={project} onChange={(e) => navigate({ project: Number(e.target.value) })}>
              {session.projects.map((id) => (
                <option key={id} value={id}>
                  Project {id}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="project-name">Project {project}</span>
        )}
        <span className="spacer" />
        {session.subject && <span className="subject muted">{session.subject}</span>}
        <button type="button" className="button button-quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <Nav state={state} navigate={navigate} />
      {/* The live view, the releases' comparisons and alerts have their own windows, and no filters. */}
      {state.view != 'live' && state.view != 'releases' && state.view != 'alerts' && (
        <div className="controls" role="region" aria-label="Selection">
          <RangePicker state={state} navigate={navigate} />
          <DeviceSwitch state={state} navigate={navigate} />
          <FilterBar state={state} navigate={navigate} />
        </div>
      )}
      <main id="main" tabIndex={-1} className={`view view-${state.view}`}>
        {state.view == 'overview' && <Overview state={state} navigate={navigate} />}
        {state.view == 'trends' && <Trends state={state} navigate={navigate} />}
        {state.view == 'distribution' && <Distribution state={state} navigate={navigate} />}
        {state.view == 'breakdowns' && <Breakdowns state={state} navigate={navigate} />}
        {state.view == 'attribution' && <Attribution state={state} navigate={navigate} />}
        {state.view == 'releases' && <Releases state={state} navigate={navigate} />}
        {state.view == 'alerts' && <Alerts state={state} navigate={navigate} />}
        {state.view == 'live' && (
          <Suspense fallback={<Loading minHeight={200} />}>
            <Live key={project} projectId={project} />
          </Suspense>
        )}
      </main>
    </div>
  );
}

export function App({ config }: { config: Config }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState('');
  const [state, navigate] = useUrlState();

  const signOut = useCallback((reason?: string) => {
    clearSession();
    clearApiCache();
    setSession(null);
    setNotice(reason ?? '');
  }, []);

  const signedIn = useCallback((next: Session) => {
    saveSession(next);
    setNotice('');
    setSession(next);
  }, []);

  const granted = session != null && state.project != null && session.projects.includes(state.project);
  const only = session?.projects.length == 1 ? session.projects[0] : undefined;
  useEffect(() => {
    if (session && !granted && only != null) navigate({ project: only }, { replace: true });
  }, [session, granted, only, navigate]);

  const context = useMemo<ApiContextValue | null>(
    () => (session ? { config, session, signOut } : null),
    [config, session, signOut],
  );

  if (!session || !context) return <SignIn config={config} notice={notice} onSignedIn={signedIn} />;
  if (!granted) {
    if (only != null) return null; // redirecting to the only project
    return <ProjectPicker projects={session.projects} onPick={(project) => navigate({ project })} />;
  }
  return (
    <ApiContext.Provider value={context}>
      <Shell state={state} navigate={navigate} session={session} signOut={() => signOut()} />
    </ApiContext.Provider>
  );
}
