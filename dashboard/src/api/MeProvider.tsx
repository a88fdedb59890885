/** Asks the admin service what the signed-in user may do, again whenever the token changes. */
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { ApiError, adminJson } from './client';
import { useApiContext } from './context';
import { type Me, MeContext, type MeState } from './me';
import { SESSION_ENDED } from './session';

export function MeProvider({ children }: { children: ReactNode }) {
  const { config, session, signOut } = useApiContext();
  const [me, setMe] = useState<Me | null>(null);
  const [settled, setSettled] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    adminJson<Me>(config, session.token, 'GET', '/v1/admin/me').then(
      (answer) => {
        if (!current) return;
        setMe(answer);
        setSettled(true);
      },
      (error: Error) => {
        if (!current) return;
        if (error instanceof ApiError && error.signedOut) signOut(SESSION_ENDED);
        setMe(null); // unknown: no admin screen (the data views still work)
        setSettled(true);
      },
    );
    return () => {
      current = false;
    };
  }, [config, session.token, generation, signOut]);
  const value = useMemo<MeState>(() => ({ me, settled, reload: () => setGeneration((g) => g + 1) }), [me, settled]);
  return <MeContext.Provider value={value}>{children}</MeContext.Provider>;
}
