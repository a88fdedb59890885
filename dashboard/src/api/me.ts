/**
 * What the signed-in user may do (the admin service's GET /v1/admin/me): which admin
 * screens to show. Display only: the admin service checks every request itself. While it
 * is unknown (loading, or the admin service unreachable) no admin screen is shown.
 */
import { createContext, useCallback, useContext } from 'react';
import { adminJson } from './client';
import { useApiContext } from './context';
import type { Role } from './roles';

export interface MyProject {
  id: number;
  slug: string;
  name: string;
  role: Role;
}

export interface Me {
  user_id: number | null;
  email: string | null;
  owner: boolean;
  can_create_projects: boolean;
  can_manage_users: boolean;
  projects: MyProject[];
}

export interface RefreshedToken {
  token: string;
  expires_at: string;
  projects: number[];
  roles: Record<string, Role>;
  owner: boolean;
}

export interface MeState {
  me: Me | null;
  /** Whether the admin service has answered (or failed to) at least once: `me` is then known or unknowable. */
  settled: boolean;
  reload: () => void;
}

export const MeContext = createContext<MeState>({ me: null, settled: false, reload: () => {} });

export function useMe(): MeState {
  return useContext(MeContext);
}

/** Whether the project's admin screens (setup, settings, keys, members) are offered. */
export function administers(me: Me | null, project: number): boolean {
  if (me == null) return false;
  return me.owner || me.projects.some((p) => p.id == project && p.role == 'admin');
}

export function projectOf(me: Me | null, project: number): MyProject | undefined {
  return me?.projects.find((p) => p.id == project);
}

/**
 * Asks for a token with what the user may do now (a project made since sign-in), and
 * carries on with it; resolves false for a token that cannot be refreshed.
 */
export function useRefreshToken(): () => Promise<boolean> {
  const { config, session, replaceToken } = useApiContext();
  return useCallback(async () => {
    try {
      const fresh = await adminJson<RefreshedToken>(config, session.token, 'POST', '/v1/admin/me/token');
      if (!fresh) return false;
      replaceToken(fresh.token);
      return true;
    } catch {
      return false;
    }
  }, [config, session.token, replaceToken]);
}
