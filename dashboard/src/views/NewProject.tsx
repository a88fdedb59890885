/**
 * A new project (owners): a name, its slug (made from the name, editable: CI jobs and
 * commands name the project by it) and the origins allowed to send. Then the session
 * takes a fresh token that grants it, and the Setup page opens.
 */
import { type FormEvent, useState } from 'react';
import { useAdminWrite } from '../api/admin';
import { useMe, useRefreshToken } from '../api/me';
import { ErrorNotice } from '../components/Panel';
import { type Project, SLUG_PATTERN, parseOrigins, slugFrom } from '../lib/projectForm';

export function NewProject({ onCreated, onCancel }: { onCreated: (project: number) => void; onCancel?: () => void }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [origins, setOrigins] = useState('');
  const [problem, setProblem] = useState('');
  const write = useAdminWrite();
  const refresh = useRefreshToken();
  const { reload } = useMe();
  const shownSlug = slugEdited ? slug : slugFrom(name);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseOrigins(origins);
    const found = (!SLUG_PATTERN.test(shownSlug) &&
      'The slug is 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit.') || parsed.problem;
    setProblem(found || '');
    if (found) return;
    const { ok, data } = await write.run<Project>('POST', '/v1/admin/projects', {
      slug: shownSlug, name: name.trim() || shownSlug, allowed_origins: parsed.value,
    });
    if (!ok || !data) return;
    if (!(await refresh())) {
      setProblem(`Project ${data.slug} is created; sign in again to open it.`);
      return;
    }
    reload();
    onCreated(data.id);
  };
  return (
    <section className="panel" data-testid="new-project-panel" aria-labelledby="new-project-title">
      <header className="panel-header">
        <h2 className="panel-title" id="new-project-title">New project</h2>
        <span className="muted panel-actions">One site, or one app across its domains</span>
      </header>
      <form className="panel-body settings-form" onSubmit={submit} aria-label="New project">
        <div className="form-grid">
          <label>
            <span>Name</span>
            <input value={name} required maxLength={100} placeholder="Shop" autoFocus onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            <span>Slug</span>
            <input className="mono" value={shownSlug} required maxLength={63} placeholder="shop" spellCheck={false}
              onChange={(e) => {
                setSlugEdited(true);
                setSlug(e.target.value);
              }} />
          </label>
        </div>
        <label className="stacked">
          <span>Allowed origins, one a line (optional)</span>
          <textarea rows={2} value={origins} spellCheck={false} placeholder="https://www.example.com"
            onChange={(e) => setOrigins(e.target.value)} />
          <span className="muted field-help">Only pages on these origins may send beacons. Empty: any origin; change it later in settings.</span>
        </label>
        {problem && <p className="form-problem" role="alert">{problem}</p>}
        {write.error && <ErrorNotice error={write.error} />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={write.pending}>Create project</button>
          {onCancel && <button type="button" className="button" onClick={onCancel}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
