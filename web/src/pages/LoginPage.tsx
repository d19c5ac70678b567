import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useSession } from '../auth/SessionContext';
import { useTheme } from '../components/ThemeContext';
import { MoonIcon, SunIcon } from '../components/Icons';

/** Only paths of this app: an open redirect must not come from ?next=. */
export function safeNextPath(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/dags';
  return next;
}

export function LoginPage() {
  const { session, signIn } = useSession();
  const { theme, toggle } = useTheme();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  if (session && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await signIn(username, password);
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <button type="button" className="icon-button login-theme" data-testid="theme-toggle" onClick={toggle} aria-label="Toggle dark mode">
        {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
      </button>
      <form className="login-card" onSubmit={submit}>
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={36} height={36} />
          <h1>updraft</h1>
        </div>
        <p className="muted">Sign in to continue</p>
        <label className="field">
          <span>Username</span>
          <input data-testid="login-username" autoComplete="username" autoFocus required value={username} onChange={(event) => setUsername(event.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input data-testid="login-password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        {error && (
          <div className="error-box" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" className="button button-primary button-block" data-testid="login-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
