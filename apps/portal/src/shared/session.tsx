/**
 * The portal session as the page sees it (never the token: it stays on the server, the browser only holds an
 * httpOnly cookie), the login page (demo accounts and/or OpenID Connect) and the idle timeout on the page side.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import {
  getJson,
  lastActivityAt,
  markActivity,
  onSessionExpired,
  request,
  sendJson,
  setCsrfToken,
} from './api.ts';
import { frenchError } from './errors.ts';
import { Alert, Loading, messageOf } from './ui.tsx';

export type PortalName = 'patient' | 'pro';

export interface SessionActor {
  readonly kind: 'patient' | 'representative' | 'professional' | 'operator';
  readonly ins?: string;
  readonly idNatPs?: string;
  readonly name?: string;
  readonly profession?: string;
  readonly specialty?: string;
  readonly structure?: string;
  readonly sector?: string;
  readonly mode?: 'normal' | 'bris_de_glace' | 'centre_15';
  readonly reason?: string;
  readonly regulator?: boolean;
  /** The one record an emergency mode applies to (issue 17 rule 6). */
  readonly emergencyIns?: string;
}

export interface SessionView {
  readonly authenticated: true;
  readonly portal: PortalName;
  readonly source: 'dev' | 'oidc';
  readonly actor: SessionActor;
  /** The signed-in person's sex when their own NIR says it (issue 21 point 8), to agree the words with it. */
  readonly sex?: 'male' | 'female';
  readonly csrfToken: string;
  readonly idleSeconds: number;
  readonly expiresAt: string;
  readonly canEndEmergency: boolean;
}

interface LoginConfig {
  readonly demo: boolean;
  readonly oidc: Readonly<Record<PortalName, boolean>>;
  readonly idleSeconds: number;
}

interface DemoAccount {
  readonly id: string;
  readonly kind: 'patient' | 'representative' | 'professional';
  readonly name: string;
  readonly description: string;
}

interface SessionContextValue {
  readonly session: SessionView;
  /** Replaces the session (emergency mode switch). */
  readonly replace: (next: SessionView) => void;
  readonly logout: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | undefined>(undefined);

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) {
    throw new Error('useSession outside SessionProvider');
  }
  return ctx;
}

type Phase =
  | { readonly kind: 'loading' }
  | { readonly kind: 'anonymous'; readonly notice?: string }
  | { readonly kind: 'authenticated'; readonly session: SessionView };

/**
 * Loads the session; renders the login page when there is none, `children` otherwise. `accepts` says which
 * actor kinds this portal serves (another kind gets a clear message and a logout button).
 */
export function SessionProvider({
  portal,
  accepts,
  children,
}: {
  readonly portal: PortalName;
  readonly accepts: readonly SessionActor['kind'][];
  readonly children: ReactNode;
}): ReactNode {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const sessionRef = useRef<SessionView | undefined>(undefined);

  const enter = useCallback((session: SessionView) => {
    setCsrfToken(session.csrfToken);
    sessionRef.current = session;
    markActivity();
    setPhase({ kind: 'authenticated', session });
  }, []);

  const leave = useCallback((notice?: string) => {
    setCsrfToken('');
    sessionRef.current = undefined;
    setPhase(notice === undefined ? { kind: 'anonymous' } : { kind: 'anonymous', notice });
  }, []);

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const loginError = params.get('login_error');
    if (loginError !== null) {
      window.history.replaceState(null, '', window.location.pathname);
    }
    getJson<SessionView | { authenticated: false }>('/auth/portal/session').then(
      (s) => {
        if (s.authenticated) {
          enter(s);
        } else {
          leave(loginError !== null ? frenchError(loginError, 401) : undefined);
        }
      },
      (e: unknown) => leave(messageOf(e)),
    );
  }, [enter, leave]);

  // The server ended the session (401) or the page sat idle past the timeout: clear the screen.
  useEffect(() => {
    const off = onSessionExpired(() => leave('Votre session a pris fin. Reconnectez-vous.'));
    const timer = window.setInterval(() => {
      const s = sessionRef.current;
      if (!s) {
        return;
      }
      const idle = Date.now() - lastActivityAt() > s.idleSeconds * 1000;
      const over = Date.now() > new Date(s.expiresAt).getTime();
      if (idle || over) {
        leave(
          idle
            ? `Votre session a été fermée après ${Math.round(s.idleSeconds / 60)} minutes d’inactivité.`
            : 'Votre session a expiré. Reconnectez-vous.',
        );
      }
    }, 15_000);
    const activity = (): void => markActivity();
    window.addEventListener('keydown', activity);
    window.addEventListener('pointerdown', activity);
    return () => {
      off();
      window.clearInterval(timer);
      window.removeEventListener('keydown', activity);
      window.removeEventListener('pointerdown', activity);
    };
  }, [leave]);

  const logout = useCallback(async () => {
    try {
      await request('/auth/portal/logout', { method: 'POST' });
    } finally {
      leave('Votre session est terminée.');
    }
  }, [leave]);

  if (phase.kind === 'loading') {
    return (
      <main id="contenu" className="container">
        <Loading />
      </main>
    );
  }
  if (phase.kind === 'anonymous') {
    return (
      <LoginPage
        portal={portal}
        onLogin={enter}
        {...(phase.notice !== undefined ? { notice: phase.notice } : {})}
      />
    );
  }
  const { session } = phase;
  if (!accepts.includes(session.actor.kind)) {
    return (
      <main id="contenu" className="container narrow">
        <h1>{portal === 'patient' ? 'Espace patient' : 'Espace professionnel'}</h1>
        <Alert kind="warning" title="Ce compte ne correspond pas à cet espace">
          <p>
            Votre session est ouverte au nom de {session.actor.name ?? session.actor.kind}.{' '}
            {portal === 'patient'
              ? 'L’espace patient est réservé aux titulaires d’un dossier et à leurs représentants légaux.'
              : 'L’espace professionnel est réservé aux professionnels de santé.'}
          </p>
        </Alert>
        <button type="button" className="button primary" onClick={() => void logout()}>
          Se déconnecter
        </button>
      </main>
    );
  }
  return <SessionContext value={{ session, replace: enter, logout }}>{children}</SessionContext>;
}

const KIND_TITLES: Readonly<Record<DemoAccount['kind'], string>> = {
  patient: 'Patients',
  representative: 'Représentants légaux d’un mineur',
  professional: 'Professionnels de santé',
};

function LoginPage({
  portal,
  notice,
  onLogin,
}: {
  readonly portal: PortalName;
  readonly notice?: string;
  readonly onLogin: (session: SessionView) => void;
}): ReactNode {
  const [config, setConfig] = useState<LoginConfig | undefined>();
  const [accounts, setAccounts] = useState<readonly DemoAccount[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [filter, setFilter] = useState('');

  useEffect(() => {
    // Both at once: the demo accounts answer 404 outside demo mode, which the config then explains.
    const accountsLoad = getJson<{ accounts: DemoAccount[] }>('/auth/portal/demo-accounts').catch(
      () => undefined,
    );
    getJson<LoginConfig>('/auth/portal/config').then(
      async (c) => {
        setConfig(c);
        if (c.demo) {
          const a = await accountsLoad;
          setAccounts(a?.accounts ?? []);
        }
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);

  const kinds: DemoAccount['kind'][] =
    portal === 'patient' ? ['patient', 'representative'] : ['professional'];
  const login = async (account: DemoAccount): Promise<void> => {
    setBusy(account.id);
    setError(undefined);
    try {
      const session = await sendJson<SessionView>(
        'POST',
        '/auth/portal/dev-login',
        { account: account.id, portal },
        'application/json',
      );
      if (session) {
        onLogin(session);
      }
    } catch (e) {
      setError(messageOf(e));
      setBusy(undefined);
    }
  };
  const q = filter.trim().toLowerCase();

  return (
    <>
      <header className="site-header">
        <div className="container header-inner">
          <span className="brand">
            <span className="brand-mark" aria-hidden="true" />
            opendmp{' '}
            <span className="brand-sub">
              {portal === 'patient' ? 'Mon dossier médical' : 'Espace professionnel'}
            </span>
          </span>
        </div>
      </header>
      <main id="contenu" className="container narrow">
        <h1>
          {portal === 'patient' ? 'Connexion à votre dossier médical' : 'Connexion professionnelle'}
        </h1>
        {notice !== undefined && <Alert kind="info">{notice}</Alert>}
        {error !== undefined && <Alert kind="error">{error}</Alert>}
        {!config && !error && <Loading />}
        {config?.oidc[portal] === true && (
          <section className="card">
            <h2>{portal === 'patient' ? 'Connexion sécurisée' : 'Pro Santé Connect'}</h2>
            <p>
              {portal === 'patient'
                ? 'Identifiez-vous auprès de votre fournisseur d’identité.'
                : 'Identifiez-vous avec votre carte CPS ou e-CPS.'}
            </p>
            <a className="button primary" href={`/auth/portal/oidc/login?portal=${portal}`}>
              Se connecter
            </a>
          </section>
        )}
        {config && !config.demo && !config.oidc[portal] && (
          <Alert kind="warning">Aucun moyen de connexion n’est configuré sur ce serveur.</Alert>
        )}
        {config?.demo === true && (
          <section aria-labelledby="demo-title">
            <h2 id="demo-title">Comptes de démonstration</h2>
            <p className="hint">
              Serveur de démonstration : choisissez une personne fictive. Toutes les actions passent
              par l’API publique, avec les mêmes règles d’accès et les mêmes traces qu’un logiciel
              de professionnel.
            </p>
            <div className="field">
              <label htmlFor="demo-filter">Filtrer les comptes</label>
              <input
                id="demo-filter"
                type="search"
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
                autoComplete="off"
              />
            </div>
            {kinds.map((kind) => {
              const list = accounts.filter(
                (a) =>
                  a.kind === kind &&
                  (q === '' || `${a.name} ${a.description}`.toLowerCase().includes(q)),
              );
              if (list.length === 0) {
                return null;
              }
              return (
                <section key={kind} aria-labelledby={`demo-${kind}`}>
                  <h3 id={`demo-${kind}`}>{KIND_TITLES[kind]}</h3>
                  <ul className="account-list">
                    {list.map((a) => (
                      <li key={a.id}>
                        <button
                          type="button"
                          className="account"
                          onClick={() => void login(a)}
                          disabled={busy !== undefined}
                          aria-describedby={`${a.id}-desc`}
                        >
                          <span className="account-name">{a.name}</span>
                          <span className="account-desc" id={`${a.id}-desc`}>
                            {a.description}
                          </span>
                          {busy === a.id && <span className="visually-hidden">Connexion…</span>}
                        </button>
                      </li>
                    ))}
                  </ul>
                </section>
              );
            })}
          </section>
        )}
      </main>
      <Footer />
    </>
  );
}

export function Footer(): ReactNode {
  return (
    <footer className="site-footer">
      <div className="container">
        <p>
          opendmp — implémentation ouverte du dossier médical partagé. Chaque consultation de votre
          dossier est tracée et vous est visible.
        </p>
      </div>
    </footer>
  );
}
