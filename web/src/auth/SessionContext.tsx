// The signed-in user for the whole app. The session lives in an HttpOnly
// cookie the page cannot read; GET /auth/session tells who it belongs to and
// hands over the CSRF token, kept in memory for the API client.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, api, setCsrfToken } from '../api/client';
import { paths } from '../api/paths';
import type { SessionResponse } from '../api/types';

interface SessionContextValue {
  session: SessionResponse | null;
  /** True until the first answer of GET /auth/session. */
  loading: boolean;
  signIn: (username: string, password: string) => Promise<SessionResponse>;
  signOut: () => Promise<void>;
  /** Forget the session locally (the server said 401). */
  forget: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

// Asking who is signed in now and then renews the session cookie (the server
// renews it past half its lifetime) and picks up a role changed meanwhile.
const SESSION_REFRESH_MS = 60_000;

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionResponse | null>(null);
  const [loading, setLoading] = useState(true);

  const queryClient = useQueryClient();

  const adopt = useCallback(
    (next: SessionResponse | null) => {
      setCsrfToken(next?.csrf_token ?? null);
      // What one user saw must not show to the next one signing in here.
      if (!next) queryClient.clear();
      setSession((current) => (next && current && JSON.stringify(current) === JSON.stringify(next) ? current : next));
    },
    [queryClient],
  );

  useEffect(() => {
    let cancelled = false;
    api
      .get<SessionResponse>(paths.session)
      .then((answer) => !cancelled && adopt(answer))
      .catch((error) => {
        if (!cancelled && !(error instanceof ApiError && error.status === 401)) console.error(error);
      })
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [adopt]);

  const signedIn = session !== null;
  useEffect(() => {
    if (!signedIn) return;
    const timer = setInterval(() => {
      api
        .get<SessionResponse>(paths.session)
        .then(adopt)
        .catch((error) => {
          if (error instanceof ApiError && error.status === 401) adopt(null);
        });
    }, SESSION_REFRESH_MS);
    return () => clearInterval(timer);
  }, [signedIn, adopt]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      const answer = await api.post<SessionResponse>(paths.session, { username, password });
      adopt(answer);
      return answer;
    },
    [adopt],
  );

  const signOut = useCallback(async () => {
    try {
      await api.delete(paths.session);
    } finally {
      adopt(null);
    }
  }, [adopt]);

  const forget = useCallback(() => adopt(null), [adopt]);

  const value = useMemo(() => ({ session, loading, signIn, signOut, forget }), [session, loading, signIn, signOut, forget]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
