/** The page frame of both portals: skip link, header with the user and logout, main menu, footer. */
import { useState, type ReactNode } from 'react';
import { Link, useRouter } from './router.tsx';
import { Footer, useSession } from './session.tsx';

export interface NavItem {
  readonly to: string;
  readonly label: string;
  /** Extra paths (prefixes) for which this item is the current section. */
  readonly prefixes?: readonly string[];
  readonly badge?: number;
}

export function AppShell({
  title,
  subtitle,
  nav,
  banner,
  children,
}: {
  readonly title: string;
  readonly subtitle?: ReactNode;
  readonly nav: readonly NavItem[];
  readonly banner?: ReactNode;
  readonly children: ReactNode;
}): ReactNode {
  const { session, logout } = useSession();
  const { path } = useRouter();
  const [busy, setBusy] = useState(false);
  const current = (item: NavItem): boolean =>
    path === item.to || (item.prefixes ?? []).some((p) => path.startsWith(p));
  return (
    <>
      <a className="skip-link" href="#contenu">
        Aller au contenu
      </a>
      <header className="site-header">
        <div className="container header-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            opendmp <span className="brand-sub">{title}</span>
          </Link>
          <div className="user">
            <span className="user-name">
              {session.actor.name ?? 'Utilisateur'}
              {subtitle !== undefined && <span className="user-sub">{subtitle}</span>}
            </span>
            <button
              type="button"
              className="button small ghost"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                void logout();
              }}
            >
              Se déconnecter
            </button>
          </div>
        </div>
        <nav className="main-nav" aria-label="Menu principal">
          <ul className="container">
            {nav.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={current(item) ? 'page' : undefined}>
                  {item.label}
                  {item.badge !== undefined && item.badge > 0 && (
                    <span className="nav-badge">
                      {item.badge}
                      <span className="visually-hidden"> non lues</span>
                    </span>
                  )}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      {banner}
      <main id="contenu" className="container" tabIndex={-1}>
        {children}
      </main>
      <Footer />
    </>
  );
}
