/** Requests to the query service: bearer token, its `{error, detail}` shape, aborts. */
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

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as Error).name == 'AbortError') throw error;
    throw new ApiError(0, 'unreachable', 'The query service cannot be reached.');
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
