// First: starts the first requests before React is evaluated.
import '../src/shared/boot.ts';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from '../src/shared/router.tsx';
import { SessionProvider } from '../src/shared/session.tsx';
import { Loading } from '../src/shared/ui.tsx';
import '../src/shared/styles.css';

// The signed-in application is a separate chunk: the first screen (login) needs only the shell.
const PatientApp = lazy(async () => ({
  default: (await import('../src/patient/app.tsx')).PatientApp,
}));

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <RouterProvider>
        <SessionProvider portal="patient" accepts={['patient', 'representative']}>
          <Suspense fallback={<Loading />}>
            <PatientApp />
          </Suspense>
        </SessionProvider>
      </RouterProvider>
    </StrictMode>,
  );
}

// Installable app: the service worker caches the application shell only (never API responses).
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker
      .register('/patient/sw.js', { scope: '/patient/' })
      .catch(() => undefined);
  });
}
