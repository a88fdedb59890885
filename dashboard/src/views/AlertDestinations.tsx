/**
 * Where a project's notifications go (the admin service's list: the URL's origin, never
 * the URL or the secret). Admins add one (its signing secret is shown once, with a copy
 * button), remove one, and send it a test notification, which lands in the delivery log.
 */
import { type FormEvent, useRef, useState } from 'react';
import { useAdminGet, useAdminWrite } from '../api/admin';
import type { AlertDestination, CreatedDestination, TestNotification } from '../api/types';
import { ErrorNotice, Panel } from '../components/Panel';
import { formatDateTime } from '../lib/format';

function SecretOnce({ created, onClose }: { created: CreatedDestination; onClose: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('Copied.');
    } catch {
      field.current?.select(); // no clipboard access: selected, for Ctrl-C
      setCopied('Selected: press Ctrl-C (⌘-C) to copy it.');
    }
  };
  return (
    <div className="notice secret-once" role="status" data-testid="destination-secret">
      <p>
        <strong>{created.destination.name}</strong> signs each notification with this secret. Keep it now: it is
        not shown again.
      </p>
      <div className="secret-row">
        <input ref={field} readOnly value={created.secret} aria-label="Signing secret" className="mono"
          onFocus={(e) => e.target.select()} />
        <button type="button" className="button" onClick={copy}>Copy</button>
        <button type="button" className="button button-quiet" onClick={onClose}>Done</button>
      </div>
      {copied && <p className="muted" aria-live="polite">{copied}</p>}
    </div>
  );
}

function NewDestination({ project, onCreated }: { project: number; onCreated: (c: CreatedDestination) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<'generic' | 'slack'>('generic');
  const write = useAdminWrite();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { ok, data } = await write.run<CreatedDestination>(
      'POST', `/v1/projects/${project}/alerts/destinations`, { name: name.trim(), url: url.trim(), format },
    );
    if (ok && data) {
      setName('');
      setUrl('');
      onCreated(data);
    }
  };
  return (
    <form className="destination-form" onSubmit={submit} aria-label="New destination">
      <label>
        <span>Destination name</span>
        <input value={name} required maxLength={100} placeholder="#web-perf" onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="grow">
        <span>Webhook URL</span>
        <input value={url} required type="url" placeholder="https://hooks.example.com/…" onChange={(e) => setUrl(e.target.value)} />
      </label>
      <label>
        <span>Format</span>
        <select value={format} onChange={(e) => setFormat(e.target.value as 'generic' | 'slack')}>
          <option value="generic">Generic JSON (signed)</option>
          <option value="slack">Slack-compatible</option>
        </select>
      </label>
      <button type="submit" className="button button-primary" disabled={write.pending}>Add destination</button>
      {write.error && <ErrorNotice error={write.error} />}
    </form>
  );
}

function DestinationRow({ destination, admin, onChanged }: {
  destination: AlertDestination;
  admin: boolean;
  onChanged: (what: 'deleted' | 'tested') => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [sent, setSent] = useState('');
  const write = useAdminWrite();
  const path = `/v1/projects/${destination.project_id}/alerts/destinations/${destination.id}`;
  const test = async () => {
    const { ok, data } = await write.run<TestNotification>('POST', `${path}/test`);
    if (ok && data) {
      setSent(`Test queued (delivery ${data.delivery_id}); see the delivery log.`);
      onChanged('tested');
    }
  };
  const remove = async () => {
    const { ok } = await write.run('DELETE', path);
    if (ok) onChanged('deleted');
  };
  return (
    <tr data-testid="destination-row" data-name={destination.name}>
      <th scope="row">{destination.name}</th>
      <td>{destination.format == 'slack' ? 'Slack' : 'Generic JSON'}</td>
      <td className="mono">{destination.url_origin}</td>
      <td>{formatDateTime(new Date(destination.created_at))}</td>
      {admin && (
        <td className="row-actions">
          <button type="button" className="button button-small" onClick={test} disabled={write.pending}>
            Send test notification
          </button>
          {confirming ? (
            <>
              <button type="button" className="button button-small button-danger" onClick={remove} disabled={write.pending}>
                Confirm delete
              </button>
              <button type="button" className="button button-small" onClick={() => setConfirming(false)}>Keep</button>
            </>
          ) : (
            <button type="button" className="button button-small" onClick={() => setConfirming(true)}>Delete</button>
          )}
          {sent && <span className="muted action-note" role="status">{sent}</span>}
          {write.error && <ErrorNotice error={write.error} />}
        </td>
      )}
    </tr>
  );
}

export function DestinationsPanel({ project, admin, onTested }: { project: number; admin: boolean; onTested: () => void }) {
  const list = useAdminGet<AlertDestination[]>(`/v1/projects/${project}/alerts/destinations`);
  const [created, setCreated] = useState<CreatedDestination | null>(null);
  return (
    <Panel
      title="Destinations"
      state={list}
      testId="destinations-panel"
      minHeight={80}
      isEmpty={(d) => d.length == 0 && !admin && created == null}
      empty="No webhook receives this project's notifications yet; an admin of the project can add one."
      actions={<span className="muted">The webhooks notifications go to</span>}
    >
      {(destinations) => (
        <>
          {created && <SecretOnce created={created} onClose={() => setCreated(null)} />}
          {destinations.length > 0 ? (
            <div className="table-scroll">
              <table className="destination-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Format</th>
                    <th scope="col">Host</th>
                    <th scope="col">Added</th>
                    {admin && <th scope="col"><span className="sr-only">Actions</span></th>}
                  </tr>
                </thead>
                <tbody>
                  {destinations.map((d) => (
                    <DestinationRow key={d.id} destination={d} admin={admin}
                      onChanged={(what) => (what == 'deleted' ? list.reload() : onTested())} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">No destination yet: notifications have nowhere to go.</p>
          )}
          {admin && (
            <NewDestination project={project} onCreated={(c) => {
              setCreated(c);
              list.reload();
            }} />
          )}
        </>
      )}
    </Panel>
  );
}
