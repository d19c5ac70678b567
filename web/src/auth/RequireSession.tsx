// Routes inside need a signed-in user; anyone else goes to the login page,
// which brings them back here afterwards. Also turns any 401 the API answers
// later (session expired, user deactivated) into the same trip.
import { useEffect, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { setUnauthorizedHandler } from '../api/client';
import { useSession } from './SessionContext';

export function loginPathFor(location: { pathname: string; search: string; hash: string }): string {
  const wanted = location.pathname + location.search + location.hash;
  return wanted && wanted !== '/' ? `/login?next=${encodeURIComponent(wanted)}` : '/login';
}

export function RequireSession({ children }: { children: ReactNode }) {
  const { session, loading, forget } = useSession();
  const location = useLocation();
  const navigate = useNavigate();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      forget();
      navigate(loginPathFor(window.location), { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, [forget, navigate]);

  if (loading) return <div className="page-loading">Loading…</div>;
  if (!session) return <Navigate to={loginPathFor(location)} replace />;
  return <>{children}</>;
}
