import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ProApp } from '../src/pro/app.tsx';
import { RouterProvider } from '../src/shared/router.tsx';
import { SessionProvider } from '../src/shared/session.tsx';
import '../src/shared/styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <RouterProvider>
        <SessionProvider portal="pro" accepts={['professional']}>
          <ProApp />
        </SessionProvider>
      </RouterProvider>
    </StrictMode>,
  );
}
