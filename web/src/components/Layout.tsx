// The frame around every signed-in page: navigation at the left, the user
// time zone and theme controls at the top.
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession } from '../auth/SessionContext';
import { visibleAdminPages } from '../lib/permissions';
import { useTheme } from './ThemeContext';
import { TimeZoneSelect } from './TimeZoneSelect';
import { ConnectionIcon, DagsIcon, MoonIcon, PoolIcon, SignOutIcon, SunIcon, UsersIcon, VariableIcon } from './Icons';

const ADMIN_ICONS: Record<string, typeof DagsIcon> = {
  '/variables': VariableIcon,
  '/connections': ConnectionIcon,
  '/pools': PoolIcon,
  '/users': UsersIcon,
};

function NavItem({ to, label, Icon }: { to: string; label: string; Icon: typeof DagsIcon }) {
  return (
    <NavLink to={to} className={({ isActive }) => `nav-item${isActive ? ' nav-item-active' : ''}`}>
      <Icon />
      <span>{label}</span>
    </NavLink>
  );
}

export function Layout() {
  const { session, signOut } = useSession();
  const { theme, toggle } = useTheme();
  const navigate = useNavigate();
  const adminPages = visibleAdminPages(session);

  return (
    <div className="app-shell">
      <nav className="sidebar" aria-label="Main">
        <NavLink to="/dags" className="brand">
          <img src="/favicon.svg" alt="" width={26} height={26} />
          <span>updraft</span>
        </NavLink>
        <NavItem to="/dags" label="DAGs" Icon={DagsIcon} />
        {adminPages.length > 0 && (
          <div className="nav-section">
            <div className="nav-section-title">Admin</div>
            {adminPages.map((page) => (
              <NavItem key={page.path} to={page.path} label={page.label} Icon={ADMIN_ICONS[page.path]} />
            ))}
          </div>
        )}
      </nav>
      <div className="main-column">
        <header className="topbar">
          <div className="topbar-spacer" />
          <TimeZoneSelect />
          <button type="button" className="icon-button" data-testid="theme-toggle" onClick={toggle} title={theme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'} aria-label="Toggle dark mode">
            {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
          </button>
          <div className="user-menu" data-testid="user-menu" title={session?.email || undefined}>
            <span className="user-avatar" aria-hidden="true">
              {session?.username.slice(0, 1).toUpperCase()}
            </span>
            <span className="user-name">{session?.username}</span>
            <span className="user-role">{session?.role}</span>
          </div>
          <button
            type="button"
            className="button button-ghost"
            data-testid="logout"
            onClick={async () => {
              await signOut().catch(() => undefined);
              navigate('/login', { replace: true });
            }}
          >
            <SignOutIcon size={16} /> Sign out
          </button>
        </header>
        <main className="content">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
