/**
 * A signed-in user's token. Kept in localStorage so a shared link opens signed in on the
 * same browser; dropped when it expires or the API answers 401.
 */
export interface Session {
  token: string;
  projects: number[];
  subject: string;
  /** epoch milliseconds */
  expiresAt: number;
  /** An instance owner (the `owner` claim) may create projects and users. */
  owner: boolean;
}

const KEY = 'vitals.session';

function base64UrlDecode(text: string): string {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * What a JWT says about itself (services/contracts/tokens.py claims). Not a verification:
 * the API verifies every request; this only tells the dashboard which projects to offer.
 */
export function sessionFromToken(token: string, now = Date.now()): Session {
  const parts = token.trim().split('.');
  if (parts.length != 3) throw new Error('This is not a token: a token has three parts separated by dots.');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(base64UrlDecode(parts[1]!));
  } catch {
    throw new Error('This token cannot be read.');
  }
  const projects = claims.projects;
  const exp = claims.exp;
  if (!Array.isArray(projects) || !projects.every((p) => Number.isInteger(p))) {
    throw new Error('This token names no projects.');
  }
  if (typeof exp != 'number') throw new Error('This token has no expiry.');
  if (exp * 1000 <= now) throw new Error('This token has expired.');
  const owner = claims.owner === true;
  // An owner of a new instance has no project yet: they sign in to create the first one.
  if (projects.length == 0 && !owner) throw new Error('This token grants no projects.');
  return {
    token: token.trim(),
    projects: [...projects].sort((a, b) => a - b),
    subject: typeof claims.sub == 'string' ? claims.sub : '',
    expiresAt: exp * 1000,
    owner,
  };
}

export function loadSession(now = Date.now()): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const session = sessionFromToken(JSON.parse(raw).token, now);
    return session;
  } catch {
    localStorage.removeItem(KEY);
    return null;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify({ token: session.token }));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

/** What the sign-in screen says when the API or the realtime server refuses the token. */
export const SESSION_ENDED = 'Your session has ended; sign in again.';

/**
 * Realtime `connect_error` messages that mean the token itself is no good (bad, expired,
 * revoked): sign out. Any other refusal (`unavailable`, a network error) is retried.
 */
export function tokenRefused(message: string): boolean {
  return message == 'invalid_token' || message == 'missing_token' || message == 'token_revoked';
}
