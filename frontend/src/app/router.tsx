import type { ComponentType } from 'react';
import { createBrowserRouter, Link, type RouteObject } from 'react-router';
import { RequireAuth } from '../lib/auth';
import { usePageTitle } from '../lib/use-page-title';
import { Layout } from './layout';

function PageSkeleton() {
  return (
    <div className="mx-auto w-full max-w-[1280px] px-4 py-6" aria-busy="true">
      <p role="status" className="sr-only">
        Loading
      </p>
      <div className="h-8 w-48 animate-pulse rounded-md bg-hairline/70" />
    </div>
  );
}

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <section className="mx-auto max-w-[1280px] px-4 py-12">
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="mt-2 text-muted">The link may be broken, or the page may have moved.</p>
      <Link to="/" className="mt-4 inline-block text-accent underline">
        Back to the home page
      </Link>
    </section>
  );
}

/** Wraps a lazily loaded component so visitors are sent to log in and back. */
function protectedRoute(load: () => Promise<ComponentType>): Pick<RouteObject, 'lazy'> {
  return {
    lazy: async () => {
      const Page = await load();
      return {
        Component: () => (
          <RequireAuth fallback={<PageSkeleton />}>
            <Page />
          </RequireAuth>
        ),
      };
    },
  };
}

/** A lazy route from a module that exports `Component` (or a named export). */
function page(load: () => Promise<ComponentType>): Pick<RouteObject, 'lazy'> {
  return { lazy: async () => ({ Component: await load() }) };
}

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    HydrateFallback: PageSkeleton,
    children: [
      { index: true, ...page(() => import('./routes/home').then((m) => m.Component)) },
      { path: 'search', ...page(() => import('./routes/search').then((m) => m.Component)) },
      { path: 'items/:id', ...page(() => import('./routes/item').then((m) => m.Component)) },
      {
        path: 'items/:id/edit',
        ...protectedRoute(() => import('./routes/edit-item').then((m) => m.Component)),
      },
      { path: 'sell', ...protectedRoute(() => import('./routes/sell').then((m) => m.Component)) },
      { path: 'u/:username', ...page(() => import('./routes/profile').then((m) => m.Component)) },
      {
        path: 'u/:username/followers',
        ...page(() => import('./routes/follows').then((m) => m.FollowersRoute)),
      },
      {
        path: 'u/:username/following',
        ...page(() => import('./routes/follows').then((m) => m.FollowingRoute)),
      },
      {
        path: 'favorites',
        ...protectedRoute(() => import('./routes/favorites').then((m) => m.Component)),
      },
      {
        path: 'notifications',
        ...protectedRoute(() => import('./routes/notifications').then((m) => m.Component)),
      },
      {
        path: 'settings',
        ...protectedRoute(() => import('./routes/settings').then((m) => m.Component)),
      },
      { path: 'login', ...page(() => import('./routes/auth').then((m) => m.LoginForm)) },
      { path: 'register', ...page(() => import('./routes/auth').then((m) => m.RegisterForm)) },
      { path: 'verify-email', ...page(() => import('./routes/auth').then((m) => m.VerifyEmail)) },
      {
        path: 'forgot-password',
        ...page(() => import('./routes/auth').then((m) => m.ForgotPasswordForm)),
      },
      {
        path: 'reset-password',
        ...page(() => import('./routes/auth').then((m) => m.ResetPasswordForm)),
      },
      { path: '*', Component: NotFoundPage },
    ],
  },
];

export const router = createBrowserRouter(routes);
