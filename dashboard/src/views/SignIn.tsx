/** Sign in with a dashboard user's email and password, or paste a token from `vitals token`. */
import { type FormEvent, useState } from 'react';
import { ApiError, signIn } from '../api/client';
import { projectOf, useMe } from '../api/me';
import { type Session, sessionFromToken } from '../api/session';
import type { Config } from '../config';

export function SignIn({ config, notice, onSignedIn }: { config: Config; notice?: string; onSignedIn: (s: Session) => void }) {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem('');
    if (mode == 'token') {
      try {
        onSignedIn(sessionFromToken(token));
      } catch (error) {
        setProblem((error as Error).message);
      }
      return;
    }
    setBusy(true);
    try {
      const issued = await signIn(config, email.trim(), password);
      onSignedIn(sessionFromToken(issued.token));
    } catch (error) {
      if (error instanceof ApiError && error.status == 401) setProblem('Unknown email or wrong password.');
      else if (error instanceof ApiError && error.status == 400) setProblem('Give an email and a password.');
      else setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <form className="sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          <span className="brand-mark" aria-hidden="true" /> Vitals
        </h1>
        <p className="muted">Core Web Vitals from your real users.</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <div className="tabs-inline" role="group" aria-label="Sign in with">
          <button type="button" aria-pressed={mode == 'password'} onClick={() => setMode('password')}>
            Password
          </button>
          <button type="button" aria-pressed={mode == 'token'} onClick={() => setMode('token')}>
            Token
          </button>
        </div>
        {mode == 'password' ? (
          <>
            <label>
              Email
              <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
            </label>
            <label>
              Password
              <input
                type="password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        ) : (
          <label>
            Token
            <textarea
              name="token"
              rows={4}
              required
              spellCheck={false}
              placeholder="eyJhbGciOiJIUzI1NiIs…  (from `vitals token --project …`)"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              autoFocus
            />
          </label>
        )}
        {problem && (
          <p className="form-problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

/** The token's projects by name (by number until the admin service names them, or if it cannot). */
export function ProjectPicker({ projects, onPick }: { projects: number[]; onPick: (id: number) => void }) {
  const { me, settled } = useMe();
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <h1>Choose a project</h1>
        <ul className="project-list" data-state={settled ? 'settled' : 'loading'}>
          {projects.map((id) => (
            <li key={id}>
              <button type="button" className="button button-wide" onClick={() => onPick(id)}>
                {projectOf(me, id)?.name ?? `Project ${id}`}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </main>
  );
}
