/**
 * Imported first by each entry point, so the first requests of the login flow start while the rest of the
 * bundle (React) is still being evaluated. Each prefetched answer is used once (by the first screen).
 */
function start(path: string): Promise<Response> {
  return fetch(path, {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { accept: 'application/json' },
  });
}

const prefetched = new Map<string, Promise<Response>>([
  ['/auth/portal/session', start('/auth/portal/session')],
  ['/auth/portal/config', start('/auth/portal/config')],
  ['/auth/portal/demo-accounts', start('/auth/portal/demo-accounts')],
]);

/** The prefetched response for `path`, once; undefined afterwards (then fetch it normally). */
export function takePrefetched(path: string): Promise<Response> | undefined {
  const p = prefetched.get(path);
  prefetched.delete(path);
  return p;
}
