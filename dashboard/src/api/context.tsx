/** The runtime config and the signed-in session, for every component that asks the API. */
import { createContext, useContext } from 'react';
import type { Config } from '../config';
import type { Session } from './session';

export interface ApiContextValue {
  config: Config;
  session: Session;
  /** The API refused the token (401): back to the sign-in screen, saying why. */
  signOut: (reason?: string) => void;
  /**
   * A new token for the same user (after a project is made or deleted, the admin service
   * answers one that knows it): the session goes on with it.
   */
  replaceToken: (token: string) => void;
}

export const ApiContext = createContext<ApiContextValue | null>(null);

export function useApiContext(): ApiContextValue {
  const value = useContext(ApiContext);
  if (value == null) throw new Error('useApiContext outside a signed-in ApiContext');
  return value;
}
