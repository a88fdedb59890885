/**
 * A project's ingest keys (its admins): made with a label (the key is shown once, with a
 * copy button: only its hash is kept), relabelled, revoked (ingest refuses it within
 * seconds). The list shows each key's first characters, never the key.
 */
import { type FormEvent, useState } from 'react';
import { useAdminGet, useAdminWrite } from '../api/admin';
import { CopyField } from '../components/CopyField';
import { ErrorNotice, Panel } from '../components/Panel';
import { formatDateTime } from '../lib/format';

export interface IngestKey {
  id: number;
  project_id: number;
  prefix: string;
  label: string;
  created_at: string;
  revoked_at: string | null;
}

export interface CreatedKey {
  key: string;
  ingest_key: IngestKey;
}

export const keysPath = (project: number) => `/v1/admin/projects/${project}/keys`;

export function KeyOnce({ created, onClose }: { created: CreatedKey; onClose?: () => void }) {
  return (
    <div className="notice secret-once" role="status" data-testid="key-once">
      <p>
        <strong>{created.ingest_key.label || 'The new key'}</strong> is ready. Copy it now: it is not shown again
        (only its first characters, {created.ingest_key.prefix}…, are kept).
      </p>
      <CopyField label="Ingest key" value={created.key} testId="new-key" />
      {onClose && (
        <div>
          <button type="button" className="button button-quiet" onClick={onClose}>Done</button>
        </div>
      )}
    </div>
  );
}

export function NewKeyForm({ project, onCreated, submitText = 'Create key' }: {
  project: number; onCreated: (created: CreatedKey) => void; submitText?: string;
}) {
  const [label, setLabel] = useState('');
  const write = useAdminWrite();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { ok, data } = await write.run<CreatedKey>('POST', keysPath(project), { label: label.trim() });
    if (ok && data) {
      setLabel('');
      onCreated(data);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="New key">
      <label className="grow">
        <span>Label (optional)</span>
        <input value={label} maxLength={100} placeholder="www.example.com production" onChange={(e) => setLabel(e.target.value)} />
      </label>
      <button type="submit" className="button button-primary" disabled={write.pending}>{submitText}</button>
      {write.error && <ErrorNotice error={write.error} />}
    </form>
  );
}

function KeyRow({ ingestKey, onChanged }: { ingestKey: IngestKey; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [label, setLabel] = useState(ingestKey.label);
  const [confirming, setConfirming] = useState(false);
  const write = useAdminWrite();
  const path = `${keysPath(ingestKey.project_id)}/${ingestKey.id}`;
  const name = ingestKey.label || `${ingestKey.prefix}…`;
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const { ok } = await write.run('PATCH', path, { label: label.trim() });
    if (ok) {
      setEditing(false);
      onChanged();
    }
  };
  const revoke = async () => {
    const { ok } = await write.run('DELETE', path);
    if (ok) onChanged();
  };
  const revoked = ingestKey.revoked_at != null;
  return (
    <tr data-testid="key-row" data-prefix={ingestKey.prefix} data-revoked={revoked} className={revoked ? 'revoked' : ''}>
      <td className="mono">{ingestKey.prefix}…</td>
      <th scope="row">
        {editing ? (
          <form className="row-form" onSubmit={save} aria-label={`Label of ${ingestKey.prefix}`}>
            <input value={label} maxLength={100} aria-label="Label" autoFocus onChange={(e) => setLabel(e.target.value)} />
            <button type="submit" className="button button-small button-primary" disabled={write.pending}>Save</button>
            <button type="button" className="button button-small" onClick={() => setEditing(false)}>Cancel</button>
          </form>
        ) : (
          ingestKey.label || <span className="muted">No label</span>
        )}
      </th>
      <td>{formatDateTime(new Date(ingestKey.created_at))}</td>
      <td>{revoked ? <span className="state-badge state-disabled">Revoked {formatDateTime(new Date(ingestKey.revoked_at!))}</span>
        : <span className="state-badge state-ok">Active</span>}</td>
      <td className="row-actions">
        {!editing && (
          <button type="button" className="button button-small" onClick={() => setEditing(true)} aria-label={`Rename ${name}`}>
            Rename
          </button>
        )}
        {!revoked && (confirming ? (
          <>
            <button type="button" className="button button-small button-danger" onClick={revoke} disabled={write.pending}>
              Confirm revoke
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirming(false)}>Keep</button>
          </>
        ) : (
          <button type="button" className="button button-small" onClick={() => setConfirming(true)} aria-label={`Revoke ${name}`}>
            Revoke
          </button>
        ))}
        {confirming && !revoked && <span className="muted action-note">Sites sending with it are refused within seconds.</span>}
        {write.error && <ErrorNotice error={write.error} />}
      </td>
    </tr>
  );
}

export function Keys({ project }: { project: number }) {
  const list = useAdminGet<IngestKey[]>(keysPath(project));
  const [created, setCreated] = useState<CreatedKey | null>(null);
  return (
    <div className="view-admin">
      <Panel title="Ingest keys" state={list} testId="keys-panel" minHeight={80}
        actions={<span className="muted">Sites send beacons with a key; revoke one to stop them</span>}>
        {(keys) => (
          <>
            {created && <KeyOnce created={created} onClose={() => setCreated(null)} />}
            {keys.length > 0 ? (
              <div className="table-scroll">
                <table className="key-table">
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Label</th>
                      <th scope="col">Created</th>
                      <th scope="col">State</th>
                      <th scope="col"><span className="sr-only">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {keys.map((k) => <KeyRow key={k.id} ingestKey={k} onChanged={list.reload} />)}
                  </tbody>
                </table>
              </div>
            ) : (
              <p className="muted">No key yet: no site can send beacons to this project.</p>
            )}
            <NewKeyForm project={project} onCreated={(c) => {
              setCreated(c);
              list.reload();
            }} />
          </>
        )}
      </Panel>
    </div>
  );
}
