import type { Me } from '@hanger/contracts';
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, ApiError } from './api';

export const meKey = ['me'] as const;

/** GET /me: the signed-in user, or null for a visitor (a 401 here is not an error). */
export async function getMe(): Promise<Me | null> {
  try {
    const res = await api<{ data: Me }>('/me', { on401: 'anonymous' });
    return res.data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export const meQueryOptions = () =>
  queryOptions({ queryKey: meKey, queryFn: getMe, staleTime: 5 * 60_000 });

export function useMe() {
  return useQuery(meQueryOptions());
}

/** `/login?next=/sell` for the current location. */
export function loginPath(next: string) {
  return `/login?next=${encodeURIComponent(next)}`;
}

/** A `next` that stays on this site (no `//evil.example`, no absolute URLs). */
export function safeNext(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return fallback;
  }
  return next;
}

/** Renders children for a signed-in user; sends a visitor to login and back. */
export function RequireAuth({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return fallback;
  if (!me.data) {
    return <Navigate to={loginPath(`${location.pathname}${location.search}`)} replace />;
  }
  return children;
}

/**
 * After login/verify: the signed-in user replaces whatever was cached. A `/me` request that started
 * before the session existed is cancelled first, so its late "visitor" answer cannot win the race.
 */
export async function setSessionUser(qc: QueryClient, user: Me, opts: { reset?: boolean } = {}) {
  await qc.cancelQueries({ queryKey: meKey });
  if (opts.reset) qc.removeQueries({ predicate: (q) => q.queryKey[0] !== meKey[0] });
  qc.setQueryData(meKey, user);
}
