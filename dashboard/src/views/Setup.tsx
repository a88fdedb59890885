/**
 * Setup (a project's admins): a key, the script tag or npm code filled in with it and this
 * server's ingest URL, and a live check that turns green when the first beacon arrives —
 * over the realtime server's connection, as the Live view's, after asking the query
 * service whether beacons arrived before the page was opened.
 */
import { useEffect, useState } from 'react';
import type { Socket } from 'socket.io-client';
import { getJson } from '../api/client';
import { useApiContext } from '../api/context';
import { projectOf, useMe } from '../api/me';
import { connectRealtime } from '../api/realtime';
import { SESSION_ENDED, tokenRefused } from '../api/session';
import type { LiveBatch, Summary } from '../api/types';
import { CopyField } from '../components/CopyField';
import { formatClock } from '../lib/format';
import { METRICS } from '../lib/metrics';
import { ingestOrigin, npmInstall, npmSnippet, scriptTag } from '../lib/snippets';
import type { Navigate } from '../state/useUrlState';
import { type CreatedKey, KeyOnce, NewKeyForm } from './Keys';

export type BeaconCheck =
  | { state: 'waiting'; detail: string }
  | { state: 'received'; at: number | null; route: string };

/** Waiting until the project's first page view is stored (or one was before this page opened). */
function useFirstBeacon(projectId: number): BeaconCheck {
  const { config, session, signOut } = useApiContext();
  const [check, setCheck] = useState<BeaconCheck>({ state: 'waiting', detail: 'Connecting…' });
  useEffect(() => {
    let stopped = false;
    const received = (next: BeaconCheck) => {
      if (!stopped) setCheck((current) => (current.state == 'received' ? current : next));
    };
    const controller = new AbortController();
    getJson<Summary>(config, session.token, `/v1/projects/${projectId}/summary`,
      new URLSearchParams({ range: '28d' }), controller.signal).then(
      (summary) => {
        if (METRICS.some((m) => (summary.metrics[m]?.current.count ?? 0) > 0)) received({ state: 'received', at: null, route: '' });
      },
      () => {}, // the live check below still works
    );
    const socket: Socket = connectRealtime(config, session.token);
    const waiting = (detail: string) => {
      if (!stopped) setCheck((current) => (current.state == 'received' ? current : { state: 'waiting', detail }));
    };
    socket.on('connect', () => {
      socket.emit('subscribe', { projects: [projectId] }, (answer: { error?: string } | undefined) => {
        if (answer?.error) waiting('The realtime server refused this project: sign in again to watch it.');
        else waiting('Listening: load a page that has the snippet, then leave it or switch tabs.');
      });
    });
    socket.on('disconnect', () => waiting('Reconnecting…'));
    socket.on('connect_error', (error: Error) => {
      if (tokenRefused(error.message)) signOut(SESSION_ENDED);
      else waiting('Reconnecting…');
    });
    socket.on('vitals', (batch: LiveBatch) => {
      if (batch.project_id != projectId) return;
      received({ state: 'received', at: Date.now(), route: batch.page_views?.[0]?.route ?? '' });
    });
    return () => {
      stopped = true;
      controller.abort();
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [config, session.token, projectId, signOut]);
  return check;
}

function FirstBeacon({ check }: { check: BeaconCheck }) {
  return (
    <div className={`first-beacon first-beacon-${check.state}`} role="status" data-testid="first-beacon" data-state={check.state}>
      <span className="first-beacon-dot" aria-hidden="true" />
      {check.state == 'waiting' ? (
        <div>
          <strong>Waiting for the first beacon…</strong>
          <span className="muted first-beacon-detail">{check.detail}</span>
        </div>
      ) : (
        <div>
          <strong>Beacons are arriving.</strong>
          <span className="first-beacon-detail">
            {check.at != null
              ? `The first came at ${formatClock(new Date(check.at))}${check.route ? `, from ${check.route}` : ''}.`
              : 'This project has stored beacons already.'}
          </span>
        </div>
      )}
    </div>
  );
}

export function Setup({ project, navigate }: { project: number; navigate: Navigate }) {
  const { config } = useApiContext();
  const { me } = useMe();
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [key, setKey] = useState('');
  const [spa, setSpa] = useState(false);
  const check = useFirstBeacon(project);
  const ingestUrl = ingestOrigin(config.ingestUrl, window.location.origin);
  const options = { ingestUrl, key, spa };
  const name = projectOf(me, project)?.name ?? `Project ${project}`;
  return (
    <div className="view-admin view-setup">
      <section className="panel" data-testid="setup-panel" aria-labelledby="setup-title">
        <header className="panel-header">
          <h2 className="panel-title" id="setup-title">Set up {name}</h2>
          <span className="muted panel-actions">Three steps, about two minutes</span>
        </header>
        <div className="panel-body setup-steps">
          <section className="setup-step" aria-labelledby="step-key">
            <h3 id="step-key"><span className="step-number" aria-hidden="true">1</span> A key for your site</h3>
            {created ? (
              <KeyOnce created={created} />
            ) : (
              <>
                <p className="muted">Keys are shown once. Make one here, or paste one you kept.</p>
                <NewKeyForm project={project} submitText="Create a key" onCreated={(c) => {
                  setCreated(c);
                  setKey(c.key);
                }} />
              </>
            )}
            <label className="stacked">
              <span>Key in the snippets below</span>
              <input className="mono" value={key} placeholder="vk_…" spellCheck={false} autoComplete="off"
                onChange={(e) => setKey(e.target.value)} />
            </label>
          </section>
          <section className="setup-step" aria-labelledby="step-snippet">
            <h3 id="step-snippet"><span className="step-number" aria-hidden="true">2</span> Add the SDK to every page</h3>
            <label className="check">
              <input type="checkbox" checked={spa} onChange={(e) => setSpa(e.target.checked)} />
              Single-page app: count client-side route changes as page views
            </label>
            <h4>Script tag, in the page’s <code>&lt;head&gt;</code></h4>
            <CopyField label="Script tag" value={scriptTag(options)} multiline testId="script-tag" />
            <h4>Or from npm, in your app’s entry point</h4>
            <CopyField label="Install command" value={npmInstall()} testId="npm-install" />
            <CopyField label="npm snippet" value={npmSnippet(options)} multiline testId="npm-snippet" />
            <p className="muted field-help">
              Beacons go to <span className="mono">{ingestUrl}</span>
              {config.ingestUrl ? '' : ' (this dashboard’s address: set ingestUrl in config.json if ingest is elsewhere)'}.
              {spa && ' The route option names the page’s template (/products/:id), so routes group the way your router does.'}
              {' '}If the project allows only some origins, your site’s must be one (
              <a href={`?project=${project}&view=settings`} onClick={(e) => {
                e.preventDefault();
                navigate({ view: 'settings' });
              }}>settings</a>).
            </p>
          </section>
          <section className="setup-step" aria-labelledby="step-check">
            <h3 id="step-check"><span className="step-number" aria-hidden="true">3</span> Check it works</h3>
            <FirstBeacon check={check} />
            <p className="muted field-help">
              A page sends its beacon when it is hidden: open a page with the snippet, then close it or switch tabs.
              While the bot filter is on, headless browsers and Lighthouse runs are dropped without a word.
            </p>
          </section>
        </div>
      </section>
    </div>
  );
}
