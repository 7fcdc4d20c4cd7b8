import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { AppProvider } from './app/provider';
import { router } from './app/router';
import { setUnauthorizedHandler } from './lib/api';
import { loginPath } from './lib/auth';
import './index.css';

// A session that cannot be refreshed sends the user to login, then back to where they were.
setUnauthorizedHandler((returnTo) => {
  if (window.location.pathname === '/login') return;
  void router.navigate(loginPath(returnTo), { replace: true });
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProvider>
      <RouterProvider router={router} />
    </AppProvider>
  </StrictMode>,
);
