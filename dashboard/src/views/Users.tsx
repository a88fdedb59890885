/**
 * Every account of the instance (owners): add a user (with a one-time set-password link
 * to pass on, and optionally this project), issue a new link (a forgotten password, an
 * expired invitation), make or unmake owners, remove a user. Project access itself is
 * given and taken on each project's Members page.
 */
import { type FormEvent, useState } from 'react';
import { useAdminGet, useAdminWrite } from '../api/admin';
import { useMe } from '../api/me';
import type { Role } from '../api/roles';
import { ErrorNotice, Panel } from '../components/Panel';
import { formatDateTime } from '../lib/format';
import { LinkOnce, type PasswordLink } from './Members';

interface User {
  id: number;
  email: string;
  owner: boolean;
  invited: boolean;
  created_at: string;
  projects: Record<string, Role>;
}

interface CreatedUser {
  user: User;
  set_password_link: PasswordLink;
}

const USERS = '/v1/admin/users';

function NewUser({ project, projectName, onCreated }: {
  project: number; projectName: string; onCreated: (created: CreatedUser) => void;
}) {
  const [email, setEmail] = useState('');
  const [access, setAccess] = useState<Role | 'none'>('viewer');
  const [owner, setOwner] = useState(false);
  const write = useAdminWrite();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const projects = access == 'none' ? [] : [{ project_id: project, role: access }];
    const { ok, data } = await write.run<CreatedUser>('POST', USERS, { email: email.trim(), owner, projects });
    if (ok && data) {
      setEmail('');
      setOwner(false);
      onCreated(data);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="New user">
      <label className="grow">
        <span>Email</span>
        <input type="email" required value={email} maxLength={320} placeholder="colleague@example.com"
          onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        <span>Access to {projectName}</span>
        <select value={access} onChange={(e) => setAccess(e.target.value as Role | 'none')}>
          <option value="viewer">Viewer</option>
          <option value="admin">Admin</option>
          <option value="none">None</option>
        </select>
      </label>
      <label className="check">
        <input type="checkbox" checked={owner} onChange={(e) => setOwner(e.target.checked)} />
        Instance owner
      </label>
      <button type="submit" className="button button-primary" disabled={write.pending}>Add user</button>
      {write.error && <ErrorNotice error={write.error} />}
    </form>
  );
}

function UserRow({ user, self, names, onLink, onChanged }: {
  user: User; self: boolean; names: Map<number, string>;
  onLink: (email: string, link: PasswordLink) => void; onChanged: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const write = useAdminWrite();
  const path = `${USERS}/${user.id}`;
  const newLink = async () => {
    const { ok, data } = await write.run<PasswordLink>('POST', `${path}/password-link`);
    if (ok && data) onLink(user.email, data);
  };
  const setOwner = async (owner: boolean) => {
    const { ok } = await write.run('PATCH', path, { owner });
    if (ok) onChanged();
  };
  const remove = async () => {
    const { ok } = await write.run('DELETE', path);
    if (ok) onChanged();
  };
  const access = Object.entries(user.projects);
  return (
    <tr data-testid="user-row" data-email={user.email}>
      <th scope="row" className="member-email">
        {user.email}
        {user.owner && <span className="badge badge-owner">Owner</span>}
        {user.invited && <span className="badge badge-low" title="Has not chosen a password yet">Invited</span>}
      </th>
      <td className="user-projects">
        {access.length == 0 ? <span className="muted">{user.owner ? 'Every project' : 'None'}</span> : access.map(([id, role]) => (
          <span key={id} className="value-chip chip-none">{names.get(Number(id)) ?? `Project ${id}`} · {role}</span>
        ))}
      </td>
      <td>{formatDateTime(new Date(user.created_at))}</td>
      <td className="row-actions">
        <button type="button" className="button button-small" onClick={newLink} disabled={write.pending}
          aria-label={`New password link for ${user.email}`}>Password link</button>
        {!self && (
          <button type="button" className="button button-small" onClick={() => setOwner(!user.owner)} disabled={write.pending}>
            {user.owner ? 'Unmake owner' : 'Make owner'}
          </button>
        )}
        {!self && (confirming ? (
          <>
            <button type="button" className="button button-small button-danger" onClick={remove} disabled={write.pending}>
              Confirm remove
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirming(false)}>Keep</button>
          </>
        ) : (
          <button type="button" className="button button-small" onClick={() => setConfirming(true)} aria-label={`Remove user ${user.email}`}>
            Remove
          </button>
        ))}
        {write.error && <ErrorNotice error={write.error} />}
      </td>
    </tr>
  );
}

export function Users({ project }: { project: number }) {
  const { me } = useMe();
  const list = useAdminGet<User[]>(USERS);
  const [link, setLink] = useState<{ email: string; link: PasswordLink } | null>(null);
  const names = new Map((me?.projects ?? []).map((p) => [p.id, p.name]));
  return (
    <div className="view-admin">
      <Panel title="Users" state={list} testId="users-panel" minHeight={80}
        actions={<span className="muted">Every account of this Vitals; owners administer every project</span>}>
        {(users) => (
          <>
            {link && <LinkOnce email={link.email} link={link.link} onClose={() => setLink(null)} />}
            <div className="table-scroll">
              <table className="user-table">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Projects</th>
                    <th scope="col">Added</th>
                    <th scope="col"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <UserRow key={u.id} user={u} self={u.id == me?.user_id} names={names}
                      onLink={(email, l) => setLink({ email, link: l })} onChanged={list.reload} />
                  ))}
                </tbody>
              </table>
            </div>
            <NewUser project={project} projectName={names.get(project) ?? `project ${project}`} onCreated={(c) => {
              setLink({ email: c.user.email, link: c.set_password_link });
              list.reload();
            }} />
          </>
        )}
      </Panel>
    </div>
  );
}
