/**
 * Who may see a project, and in which role (its admins). Adding an address without an
 * account makes one and shows its one-time set-password link here, to pass on (no mail
 * server is needed); an existing account is granted the project at once. Taking a role
 * away or removing someone ends their sessions.
 */
import { type FormEvent, useState } from 'react';
import { useAdminGet, useAdminWrite } from '../api/admin';
import type { Role } from '../api/roles';
import { CopyField } from '../components/CopyField';
import { ErrorNotice, Panel } from '../components/Panel';
import { formatDateTime } from '../lib/format';

export interface Member {
  user_id: number;
  email: string;
  role: Role;
  owner: boolean;
  invited: boolean;
}

export interface PasswordLink {
  url: string;
  token: string;
  expires_at: string;
}

interface AddedMember {
  member: Member;
  set_password_link: PasswordLink | null;
}

const membersPath = (project: number) => `/v1/admin/projects/${project}/members`;

export function LinkOnce({ email, link, onClose }: { email: string; link: PasswordLink; onClose: () => void }) {
  return (
    <div className="notice secret-once" role="status" data-testid="password-link">
      <p>
        Send <strong>{email}</strong> this link to choose a password. It works once, until{' '}
        {formatDateTime(new Date(link.expires_at))}, and is not shown again.
      </p>
      <CopyField label="Set-password link" value={link.url} testId="password-link-url" />
      <div>
        <button type="button" className="button button-quiet" onClick={onClose}>Done</button>
      </div>
    </div>
  );
}

function AddMember({ project, onAdded }: { project: number; onAdded: (added: AddedMember) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const write = useAdminWrite();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { ok, data } = await write.run<AddedMember>('POST', membersPath(project), { email: email.trim(), role });
    if (ok && data) {
      setEmail('');
      setRole('viewer');
      onAdded(data);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a member">
      <label className="grow">
        <span>Email</span>
        <input type="email" required value={email} maxLength={320} placeholder="colleague@example.com"
          onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        <span>Role</span>
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="viewer">Viewer (reads)</option>
          <option value="admin">Admin (settings, keys, members)</option>
        </select>
      </label>
      <button type="submit" className="button button-primary" disabled={write.pending}>Add member</button>
      {write.error && <ErrorNotice error={write.error} />}
    </form>
  );
}

function MemberRow({ project, member, onChanged }: { project: number; member: Member; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const write = useAdminWrite();
  const path = `${membersPath(project)}/${member.user_id}`;
  const changeRole = async (role: Role) => {
    const { ok } = await write.run('PATCH', path, { role });
    if (ok) onChanged();
  };
  const remove = async () => {
    const { ok } = await write.run('DELETE', path);
    if (ok) onChanged();
  };
  return (
    <tr data-testid="member-row" data-email={member.email} data-role={member.role}>
      <th scope="row" className="member-email">
        {member.email}
        {member.owner && <span className="badge badge-owner">Owner</span>}
        {member.invited && <span className="badge badge-low" title="Has not chosen a password yet">Invited</span>}
      </th>
      <td>
        <select value={member.role} aria-label={`Role of ${member.email}`} disabled={write.pending}
          onChange={(e) => changeRole(e.target.value as Role)}>
          <option value="viewer">Viewer</option>
          <option value="admin">Admin</option>
        </select>
      </td>
      <td className="row-actions">
        {confirming ? (
          <>
            <button type="button" className="button button-small button-danger" onClick={remove} disabled={write.pending}>
              Confirm remove
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirming(false)}>Keep</button>
          </>
        ) : (
          <button type="button" className="button button-small" onClick={() => setConfirming(true)} aria-label={`Remove ${member.email}`}>
            Remove
          </button>
        )}
        {write.error && <ErrorNotice error={write.error} />}
      </td>
    </tr>
  );
}

export function Members({ project }: { project: number }) {
  const list = useAdminGet<Member[]>(membersPath(project));
  const [added, setAdded] = useState<AddedMember | null>(null);
  return (
    <div className="view-admin">
      <Panel title="Members" state={list} testId="members-panel" minHeight={80}
        actions={<span className="muted">Viewers read; admins change settings, keys and members</span>}>
        {(members) => (
          <>
            {added?.set_password_link && (
              <LinkOnce email={added.member.email} link={added.set_password_link} onClose={() => setAdded(null)} />
            )}
            {added && !added.set_password_link && (
              <p className="notice" role="status">
                {added.member.email} has an account already and can now open this project (after signing in again).
              </p>
            )}
            {members.length > 0 ? (
              <div className="table-scroll">
                <table className="member-table">
                  <thead>
                    <tr>
                      <th scope="col">Email</th>
                      <th scope="col">Role</th>
                      <th scope="col"><span className="sr-only">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {members.map((m) => <MemberRow key={m.user_id} project={project} member={m} onChanged={list.reload} />)}
                  </tbody>
                </table>
              </div>
            ) : (
              <p className="muted">No members yet.</p>
            )}
            <AddMember project={project} onAdded={(a) => {
              setAdded(a);
              list.reload();
            }} />
          </>
        )}
      </Panel>
    </div>
  );
}
