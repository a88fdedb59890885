/**
 * The token's role per project (the `roles` claim, services/contracts/tokens.py): `admin`
 * or `viewer`; a granted project the claim does not name is a viewer's. For display only:
 * the dashboard offers the alert forms to an admin, and the admin service decides.
 */
export type Role = 'admin' | 'viewer';

function claimsOf(token: string): Record<string, unknown> | null {
  const payload = token.trim().split('.')[1];
  if (!payload) return null;
  try {
    const padded = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims != null && typeof claims == 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The role the token claims in `project`; null when it does not grant the project. */
export function roleIn(token: string, project: number): Role | null {
  const claims = claimsOf(token);
  const projects = claims?.projects;
  if (!Array.isArray(projects) || !projects.includes(project)) return null;
  if (claims?.owner === true) return 'admin'; // an instance owner administers every project
  const roles = claims?.roles;
  if (roles == null || typeof roles != 'object') return 'viewer';
  return (roles as Record<string, unknown>)[String(project)] == 'admin' ? 'admin' : 'viewer';
}
