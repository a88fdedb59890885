/**
 * Requests to the query service (reads) and the admin service (alert rules and
 * destinations): bearer token, their shared `{error, detail}` shape, aborts.
 */
import type { Config } from '../config';
import type { IssuedToken } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail || code);
  }

  /** The token is no good any more: sign in again. */
  get signedOut(): boolean {
    return this.status == 401;
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    const detail = typeof body.detail == 'string' ? body.detail : JSON.stringify(body.detail ?? '');
    return new ApiError(response.status, String(body.error ?? 'http_error'), detail);
  } catch {
    return new ApiError(response.status, 'http_error', `HTTP ${response.status}`);
  }
}

async function send(url: string, init: RequestInit, service = 'query'): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as Error).name == 'AbortError') throw error;
    throw new ApiError(0, 'unreachable', `The ${service} service cannot be reached.`);
  }
}

export async function getJson<T>(
  config: Config,
  token: string,
  path: string,
  params: URLSearchParams,
  signal?: AbortSignal,
): Promise<T> {
  const query = params.toString();
  const response = await send(`${config.queryUrl}${path}${query ? `?${query}` : ''}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

export async function signIn(config: Config, email: string, password: string): Promise<IssuedToken> {
  const response = await send(`${config.queryUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as IssuedToken;
}

export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * A request to the admin service (config.adminUrl; '' is this origin, where the dev and
 * preview servers proxy the admin paths). The answer's JSON, or null for 204.
 */
export async function adminJson<T>(
  config: Config,
  token: string,
  method: AdminMethod,
  path: string,
  body?: unknown,
): Promise<T | null> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`; // none for the public set-password call
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await send(`${config.adminUrl}${path}`, init, 'admin');
  if (!response.ok) throw await errorOf(response);
  if (response.status == 204) return null;
  return (await response.json()) as T;
}
