/**
 * A project's settings (its admins): name, allowed origins, rate limit, bot filter, route
 * rules, trailing slashes; and deletion with its data, once the slug is typed again.
 * Ingest picks the ingest settings up at once (the admin service republishes the keys).
 */
import { type FormEvent, useState } from 'react';
import { useAdminGet, useAdminWrite } from '../api/admin';
import { useApiContext } from '../api/context';
import { useMe } from '../api/me';
import { ErrorNotice, Panel } from '../components/Panel';
import {
  type Project, type RouteRule, originsText, parseOrigins, parseRateLimit, parseRules,
} from '../lib/projectForm';

export const projectPath = (project: number) => `/v1/admin/projects/${project}`;

function RulesEditor({ rows, onChange }: { rows: RouteRule[]; onChange: (rows: RouteRule[]) => void }) {
  const set = (index: number, change: Partial<RouteRule>) =>
    onChange(rows.map((row, i) => (i == index ? { ...row, ...change } : row)));
  return (
    <fieldset className="rules-editor">
      <legend>Route rules</legend>
      <p className="muted field-help">
        A page path matching a pattern (a Python regular expression, matched whole) is grouped under its route,
        before the SDK’s route option and the automatic <code>:id</code> rule. First match wins.
      </p>
      {rows.map((row, index) => (
        <div className="rule-row" key={index} data-testid="route-rule">
          <label>
            <span>Pattern {index + 1}</span>
            <input className="mono" value={row.pattern} placeholder="/products/[^/]+" maxLength={500}
              onChange={(e) => set(index, { pattern: e.target.value })} />
          </label>
          <label>
            <span>Route {index + 1}</span>
            <input className="mono" value={row.route} placeholder="/products/:slug" maxLength={512}
              onChange={(e) => set(index, { route: e.target.value })} />
          </label>
          <button type="button" className="button button-small" aria-label={`Remove route rule ${index + 1}`}
            onClick={() => onChange(rows.filter((_, i) => i != index))}>Remove</button>
        </div>
      ))}
      <button type="button" className="button button-small" onClick={() => onChange([...rows, { pattern: '', route: '' }])}>
        Add a rule
      </button>
    </fieldset>
  );
}

function SettingsForm({ project, onSaved }: { project: Project; onSaved: () => void }) {
  const [name, setName] = useState(project.name);
  const [origins, setOrigins] = useState(originsText(project.allowed_origins));
  const [rateLimit, setRateLimit] = useState(String(project.rate_limit_per_minute));
  const [filterBots, setFilterBots] = useState(project.filter_bots);
  const [keepSlash, setKeepSlash] = useState(project.keep_trailing_slash);
  const [rules, setRules] = useState<RouteRule[]>(project.route_rules);
  const [problem, setProblem] = useState('');
  const [saved, setSaved] = useState(false);
  const write = useAdminWrite();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const parsedOrigins = parseOrigins(origins);
    const parsedLimit = parseRateLimit(rateLimit);
    const parsedRules = parseRules(rules);
    const found = (!name.trim() && 'Give the project a name.') || parsedOrigins.problem || parsedLimit.problem || parsedRules.problem;
    setProblem(found || '');
    if (found) return;
    const { ok } = await write.run<Project>('PATCH', projectPath(project.id), {
      name: name.trim(),
      allowed_origins: parsedOrigins.value,
      rate_limit_per_minute: parsedLimit.value,
      filter_bots: filterBots,
      route_rules: parsedRules.value,
      keep_trailing_slash: keepSlash,
    });
    if (ok) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <form className="settings-form" onSubmit={submit} aria-label="Project settings" data-testid="settings-form">
      <div className="form-grid">
        <label>
          <span>Name</span>
          <input value={name} required maxLength={100} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          <span>Slug</span>
          <input value={project.slug} readOnly aria-describedby="slug-help" className="mono" />
          <span id="slug-help" className="muted field-help">Fixed: CI jobs and commands name the project by it.</span>
        </label>
        <label>
          <span>Rate limit (beacons a minute)</span>
          <input inputMode="numeric" value={rateLimit} onChange={(e) => setRateLimit(e.target.value)} />
        </label>
      </div>
      <label className="stacked">
        <span>Allowed origins, one a line</span>
        <textarea rows={3} value={origins} spellCheck={false} placeholder="https://www.example.com"
          aria-describedby="origins-help" onChange={(e) => setOrigins(e.target.value)} />
        <span id="origins-help" className="muted field-help">
          Only pages on these origins may send beacons. Empty: any origin.
        </span>
      </label>
      <label className="check">
        <input type="checkbox" checked={filterBots} onChange={(e) => setFilterBots(e.target.checked)} />
        Drop beacons from bots and crawlers
      </label>
      <label className="check">
        <input type="checkbox" checked={keepSlash} onChange={(e) => setKeepSlash(e.target.checked)} />
        Keep trailing slashes: <code>/about/</code> and <code>/about</code> are two routes
      </label>
      <RulesEditor rows={rules} onChange={setRules} />
      {problem && <p className="form-problem" role="alert">{problem}</p>}
      {write.error && <ErrorNotice error={write.error} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={write.pending}>Save settings</button>
        {saved && <span className="muted" role="status">Saved. Ingest applies it within seconds.</span>}
      </div>
    </form>
  );
}

interface DeletedProject {
  project_id: number;
  slug: string;
  status: string;
  token: string | null;
}

function DeleteProject({ project }: { project: Project }) {
  const { replaceToken, signOut } = useApiContext();
  const { reload } = useMe();
  const [typed, setTyped] = useState('');
  const write = useAdminWrite();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { ok, data } = await write.run<DeletedProject>('DELETE', projectPath(project.id), { confirm: typed });
    if (!ok || !data) return;
    // Every token that named the project ended with it; the answer carries ours anew.
    if (data.token) {
      replaceToken(data.token);
      reload();
    } else signOut(`Project ${project.slug} is deleted; sign in again.`);
  };
  return (
    <form className="danger-zone" onSubmit={submit} aria-label="Delete the project" data-testid="delete-project">
      <h3>Delete this project</h3>
      <p>
        Its beacons, rollups, releases, alerts and keys go too, for good; sites sending to it are refused at
        once. Type <strong className="mono">{project.slug}</strong> to confirm.
      </p>
      <div className="inline-form">
        <label className="grow">
          <span>Project slug</span>
          <input value={typed} className="mono" autoComplete="off" spellCheck={false} onChange={(e) => setTyped(e.target.value)} />
        </label>
        <button type="submit" className="button button-danger" disabled={typed != project.slug || write.pending}>
          Delete project and data
        </button>
      </div>
      {write.error && <ErrorNotice error={write.error} />}
    </form>
  );
}

export function ProjectSettings({ project }: { project: number }) {
  const settings = useAdminGet<Project>(projectPath(project));
  const { reload } = useMe();
  return (
    <div className="view-admin">
      <Panel title="Project settings" state={settings} testId="settings-panel" minHeight={200}>
        {(p) => <SettingsForm key={p.id} project={p} onSaved={() => { settings.reload(); reload(); }} />}
      </Panel>
      <Panel title="Danger zone" state={settings} testId="danger-panel" minHeight={80}>
        {(p) => <DeleteProject project={p} />}
      </Panel>
    </div>
  );
}
