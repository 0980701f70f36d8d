import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PatientApp } from '../src/patient/app.tsx';
import { RouterProvider } from '../src/shared/router.tsx';
import { SessionProvider } from '../src/shared/session.tsx';
import '../src/shared/styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <RouterProvider>
        <SessionProvider portal="patient" accepts={['patient', 'representative']}>
          <PatientApp />
        </SessionProvider>
      </RouterProvider>
    </StrictMode>,
  );
}

// Installable app: the service worker caches the application shell only (never API responses).
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/patient/sw.js', { scope: '/patient/' }).catch(() => undefined);
  });
}
