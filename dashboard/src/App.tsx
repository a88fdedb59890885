/** The dashboard shell: sign-in, project choice, navigation, the shared controls, the view. */
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import { MeProvider } from './api/MeProvider';
import { ApiContext, type ApiContextValue } from './api/context';
import { type Me, administers, useMe } from './api/me';
import { type Session, clearSession, loadSession, saveSession, sessionFromToken } from './api/session';
import { clearApiCache } from './api/useApi';
import { DeviceSwitch, FilterBar, RangePicker } from './components/Controls';
import { Loading } from './components/Panel';
import type { Config } from './config';
import { ADMIN_VIEWS, DATA_VIEWS, OWNER_VIEWS, type View, type ViewState } from './state/url';
import { type Navigate, hrefFor, useUrlState } from './state/useUrlState';
import { Alerts } from './views/Alerts';
import { Attribution } from './views/Attribution';
import { Breakdowns } from './views/Breakdowns';
import { Distribution } from './views/Distribution';
import { Keys } from './views/Keys';
import { Members } from './views/Members';
import { NewProject } from './views/NewProject';
import { ProjectSettings } from './views/ProjectSettings';
import { SetPassword } from './views/SetPassword';
import { Users } from './views/Users';
import { followLink } from './views/links';
import { Overview } from './views/Overview';
import { Releases } from './views/Releases';
import { ProjectPicker, SignIn } from './views/SignIn';
import { Trends } from './views/Trends';

// Socket.IO is only needed on the live and setup views: their own chunks keep it off the overview's path.
const Live = lazy(() => import('./views/Live').then((m) => ({ default: m.Live })));
const Setup = lazy(() => import('./views/Setup').then((m) => ({ default: m.Setup })));

export const VIEW_NAMES: Record<View, string> = {
  overview: 'Overview',
  trends: 'Trends',
  distribution: 'Distribution',
  breakdowns: 'Breakdowns',
  attribution: 'Attribution',
  releases: 'Releases',
  alerts: 'Alerts',
  live: 'Live',
  setup: 'Setup',
  settings: 'Settings',
  keys: 'Keys',
  members: 'Members',
  users: 'Users',
  'new-project': 'New project',
};

/** The views this user is shown in `project`: viewers see no admin screen. */
export function viewsFor(me: Me | null, project: number): View[] {
  const views: View[] = [...DATA_VIEWS];
  if (administers(me, project)) views.push(...ADMIN_VIEWS);
  if (me?.can_manage_users) views.push('users');
  return views;
}

function allowed(me: Me | null, project: number, view: View): boolean {
  if ((OWNER_VIEWS as readonly View[]).includes(view)) return view == 'users' ? me?.can_manage_users == true : me?.can_create_projects == true;
  return viewsFor(me, project).includes(view);
}

function Nav({ state, navigate, views }: { state: ViewState; navigate: Navigate; views: View[] }) {
  return (
    <nav className="views-nav" aria-label="Views">
      <ul>
        {views.map((view) => (
          <li key={view} className={view == 'setup' ? 'nav-admin-first' : undefined}>
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

function AdminView({ state, navigate }: { state: ViewState; navigate: Navigate }) {
  const project = state.project!;
  switch (state.view) {
    case 'setup':
      return (
        <Suspense fallback={<Loading minHeight={200} />}>
          <Setup key={project} project={project} navigate={navigate} />
        </Suspense>
      );
    case 'settings':
      return <ProjectSettings key={project} project={project} />;
    case 'keys':
      return <Keys key={project} project={project} />;
    case 'members':
      return <Members key={project} project={project} />;
    case 'users':
      return <Users project={project} />;
    case 'new-project':
      return <NewProject onCreated={(id) => navigate({ project: id, view: 'setup' })} onCancel={() => navigate({ view: 'overview' })} />;
    default:
      return null;
  }
}

function Shell({ state, navigate, session, signOut }: { state: ViewState; navigate: Navigate; session: Session; signOut: () => void }) {
  const project = state.project!;
  const { me } = useMe();
  const names = new Map((me?.projects ?? []).map((p) => [p.id, p.name]));
  const nameOf = (id: number) => names.get(id) ?? `Project ${id}`;
  const dataView = (DATA_VIEWS as readonly View[]).includes(state.view);
  useEffect(() => {
    document.title = `${VIEW_NAMES[state.view]} · ${nameOf(project)} · Vitals`;
  });
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
                  {nameOf(id)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="project-name">{nameOf(project)}</span>
        )}
        {me?.can_create_projects && state.view != 'new-project' && (
          <a className="button button-small" href={`?project=${project}&view=new-project`}
            onClick={followLink(navigate, { view: 'new-project' })}>
            New project
          </a>
        )}
        <span className="spacer" />
        {session.subject && <span className="subject muted">{session.subject}</span>}
        <button type="button" className="button button-quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <Nav state={state} navigate={navigate} views={viewsFor(me, project)} />
      {/* The live view, the releases' comparisons, alerts and the admin screens have no filters. */}
      {dataView && state.view != 'live' && state.view != 'releases' && state.view != 'alerts' && (
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
        {!dataView && (allowed(me, project, state.view) ? <AdminView state={state} navigate={navigate} /> : (
          <p className="notice" role="status" data-testid="not-allowed">
            {me == null ? 'Checking what you may do here…' : 'This page is for the project’s admins.'}
          </p>
        ))}
      </main>
    </div>
  );
}

export function App({ config }: { config: Config }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState('');
  const [state, navigate] = useUrlState();
  // A one-time set-password link (services/admin/password_links.py): public, before any sign-in.
  const [settingPassword, setSettingPassword] = useState(
    () => new URLSearchParams(window.location.search).get('view') == 'set-password',
  );

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

  const replaceToken = useCallback((token: string) => signedIn(sessionFromToken(token)), [signedIn]);

  const context = useMemo<ApiContextValue | null>(
    () => (session ? { config, session, signOut, replaceToken } : null),
    [config, session, signOut, replaceToken],
  );

  if (settingPassword) {
    return (
      <SetPassword config={config} onDone={(email) => {
        // The link is spent: off the address bar, and any other session on this browser ends.
        window.history.replaceState(null, '', window.location.pathname);
        signOut(`Your password is set${email ? ` for ${email}` : ''}: sign in with it.`);
        setSettingPassword(false);
      }} />
    );
  }
  if (!session || !context) return <SignIn config={config} notice={notice} onSignedIn={signedIn} />;
  if (!granted) {
    if (only != null) return null; // redirecting to the only project
    if (session.projects.length == 0 && session.owner) {
      // A new instance's owner: the first project, then its Setup page.
      return (
        <ApiContext.Provider value={context}>
          <MeProvider>
            <main className="app first-project" id="main">
              <header className="top-bar">
                <div className="brand"><span className="brand-mark" aria-hidden="true" /> Vitals</div>
                <span className="spacer" />
                <button type="button" className="button button-quiet" onClick={() => signOut()}>Sign out</button>
              </header>
              <NewProject onCreated={(project) => navigate({ project, view: 'setup' })} />
            </main>
          </MeProvider>
        </ApiContext.Provider>
      );
    }
    return (
      <ApiContext.Provider value={context}>
        <MeProvider>
          <ProjectPicker projects={session.projects} onPick={(project) => navigate({ project })} />
        </MeProvider>
      </ApiContext.Provider>
    );
  }
  return (
    <ApiContext.Provider value={context}>
      <MeProvider>
        <Shell state={state} navigate={navigate} session={session} signOut={() => signOut()} />
      </MeProvider>
    </ApiContext.Provider>
  );
}
