// First: starts the first requests before React is evaluated.
import '../src/shared/boot.ts';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from '../src/shared/router.tsx';
import { SessionProvider } from '../src/shared/session.tsx';
import { Loading } from '../src/shared/ui.tsx';
import '../src/shared/styles.css';

// The signed-in application is a separate chunk: the first screen (login) needs only the shell.
const ProApp = lazy(async () => ({ default: (await import('../src/pro/app.tsx')).ProApp }));

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <RouterProvider>
        <SessionProvider portal="pro" accepts={['professional']}>
          <Suspense fallback={<Loading />}>
            <ProApp />
          </Suspense>
        </SessionProvider>
      </RouterProvider>
    </StrictMode>,
  );
}
