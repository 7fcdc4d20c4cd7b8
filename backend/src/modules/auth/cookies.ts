import type { FastifyReply } from 'fastify';
import { CSRF_COOKIE } from '../../platform/auth/plugin';

export interface CookieNames {
  access: string;
  refresh: string;
  csrf: string;
  secure: boolean;
}

export const REFRESH_COOKIE_PATH = '/api/v1/auth';

/**
 * Over HTTPS the cookies are `Secure` and prefixed (`__Host-` for the access cookie, `__Secure-`
 * for the refresh cookie, which is scoped to /api/v1/auth and so cannot be `__Host-`). On plain-http
 * localhost development neither is allowed, so both are dropped.
 */
export function cookieNames(publicUrl: string): CookieNames {
  const secure = publicUrl.startsWith('https://');
  return {
    access: secure ? '__Host-hanger_at' : 'hanger_at',
    refresh: secure ? '__Secure-hanger_rt' : 'hanger_rt',
    csrf: CSRF_COOKIE,
    secure,
  };
}

export function setSessionCookies(
  reply: FastifyReply,
  names: CookieNames,
  v: {
    accessToken: string;
    accessMaxAgeSec: number;
    refreshToken: string;
    refreshMaxAgeSec: number;
    csrfToken: string;
  },
) {
  const base = { secure: names.secure, sameSite: 'lax' as const };
  reply
    .setCookie(names.access, v.accessToken, {
      ...base,
      httpOnly: true,
      path: '/',
      maxAge: v.accessMaxAgeSec,
    })
    .setCookie(names.refresh, v.refreshToken, {
      ...base,
      httpOnly: true,
      path: REFRESH_COOKIE_PATH,
      maxAge: v.refreshMaxAgeSec,
    })
    .setCookie(names.csrf, v.csrfToken, {
      ...base,
      httpOnly: false,
      path: '/',
      maxAge: v.refreshMaxAgeSec,
    });
}

export function clearSessionCookies(reply: FastifyReply, names: CookieNames) {
  const base = { secure: names.secure, sameSite: 'lax' as const };
  reply
    .clearCookie(names.access, { ...base, path: '/' })
    .clearCookie(names.refresh, { ...base, path: REFRESH_COOKIE_PATH })
    .clearCookie(names.csrf, { ...base, path: '/' });
}
