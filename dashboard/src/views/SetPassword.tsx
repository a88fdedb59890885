/**
 * The page a one-time set-password link opens (`?view=set-password#token=…`; the token
 * stays in the fragment, which browsers never send to a server): public, before sign-in.
 * On success the user signs in with the new password.
 */
import { type FormEvent, useState } from 'react';
import { ApiError, adminJson } from '../api/client';
import type { Config } from '../config';

export const MIN_PASSWORD_LENGTH = 8; // as the admin service (services/admin/set_password.py)

export function tokenFromFragment(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}

function refusal(error: Error): string {
  if (!(error instanceof ApiError)) return error.message;
  switch (error.code) {
    case 'link_used':
      return 'This link was used already. Ask an admin for a new one.';
    case 'link_expired':
      return 'This link has expired. Ask an admin for a new one.';
    case 'link_not_found':
      return 'This link is not known: check it was copied whole, or ask an admin for a new one.';
    case 'too_many_attempts':
      return 'Too many attempts: wait a few minutes and try again.';
    default:
      return error.detail || `The admin service answered HTTP ${error.status}.`;
  }
}

export function SetPassword({ config, onDone }: { config: Config; onDone: (email: string) => void }) {
  const [token] = useState(() => tokenFromFragment(window.location.hash));
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD_LENGTH) return setProblem(`Use at least ${MIN_PASSWORD_LENGTH} characters.`);
    if (password != again) return setProblem('The two passwords differ.');
    setProblem('');
    setBusy(true);
    try {
      const set = await adminJson<{ user_id: number; email: string }>(config, '', 'POST', '/v1/admin/password', { token, password });
      onDone(set?.email ?? '');
    } catch (error) {
      setProblem(refusal(error as Error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in" id="main">
      <form className="sign-in-card" onSubmit={submit} aria-labelledby="set-password-title" data-testid="set-password">
        <h1 id="set-password-title">
          <span className="brand-mark" aria-hidden="true" /> Choose a password
        </h1>
        {token ? (
          <>
            <p className="muted">For your Vitals account. This link works once.</p>
            <label>
              New password
              <input type="password" autoComplete="new-password" required minLength={MIN_PASSWORD_LENGTH} value={password}
                onChange={(e) => setPassword(e.target.value)} autoFocus />
            </label>
            <label>
              The same again
              <input type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
            </label>
            {problem && <p className="form-problem" role="alert">{problem}</p>}
            <button type="submit" className="button button-primary button-wide" disabled={busy}>
              {busy ? 'Saving…' : 'Set password'}
            </button>
          </>
        ) : (
          <p className="form-problem" role="alert">This link has no token: open the whole link you were sent.</p>
        )}
      </form>
    </main>
  );
}
