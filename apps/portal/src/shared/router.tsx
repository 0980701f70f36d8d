/**
 * A minimal history router: paths are relative to the portal's base (/patient/ or /pro/); the server answers
 * every path under the base with the app's index.html. After a navigation the focus moves to the main
 * heading, so screen-reader and keyboard users land on the new page (WCAG 2.4.3).
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

interface RouterState {
  readonly path: string;
  readonly search: URLSearchParams;
  readonly navigate: (to: string, options?: { replace?: boolean }) => void;
}

const RouterContext = createContext<RouterState | undefined>(undefined);

const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

function currentPath(): string {
  const p = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length)
    : window.location.pathname;
  return p === '' ? '/' : p;
}

export function href(to: string): string {
  return `${BASE}${to}`;
}

export function RouterProvider({ children }: { readonly children: ReactNode }): ReactNode {
  const [location, setLocation] = useState(() => ({
    path: currentPath(),
    search: window.location.search,
  }));

  useEffect(() => {
    const onPop = (): void => setLocation({ path: currentPath(), search: window.location.search });
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((to: string, options?: { replace?: boolean }) => {
    const url = href(to);
    if (options?.replace === true) {
      window.history.replaceState(null, '', url);
    } else {
      window.history.pushState(null, '', url);
    }
    const q = to.indexOf('?');
    setLocation({ path: q === -1 ? to : to.slice(0, q), search: q === -1 ? '' : to.slice(q) });
    window.scrollTo(0, 0);
    // Move focus to the new page's heading once it is rendered.
    window.setTimeout(() => {
      const heading = document.querySelector<HTMLElement>('main h1');
      if (heading) {
        heading.setAttribute('tabindex', '-1');
        heading.focus();
      }
    }, 0);
  }, []);

  const value = useMemo(
    () => ({ path: location.path, search: new URLSearchParams(location.search), navigate }),
    [location, navigate],
  );
  return <RouterContext value={value}>{children}</RouterContext>;
}

export function useRouter(): RouterState {
  const ctx = useContext(RouterContext);
  if (!ctx) {
    throw new Error('useRouter outside RouterProvider');
  }
  return ctx;
}

/** Matches `pattern` (`/documents/:id`) against `path`; returns the parameters or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] ?? '';
    const seg = s[i] ?? '';
    if (part.startsWith(':')) {
      params[part.slice(1)] = decodeURIComponent(seg);
    } else if (part !== seg) {
      return undefined;
    }
  }
  return params;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { readonly to: string };

export function Link({ to, onClick, children, ...rest }: LinkProps): ReactNode {
  const { navigate, path } = useRouter();
  const handle = (event: MouseEvent<HTMLAnchorElement>): void => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  const current = path === to.split('?')[0];
  return (
    <a href={href(to)} onClick={handle} aria-current={current ? 'page' : undefined} {...rest}>
      {children}
    </a>
  );
}
