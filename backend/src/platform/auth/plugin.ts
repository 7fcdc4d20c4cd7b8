import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors';
import type { AccessTokens } from './tokens';

export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';

export type Role = 'user' | 'moderator' | 'admin';

/** The credentials this plugin reads itself: an Authorization header or the session cookie. */
type SessionCredential = 'bearer' | 'cookie';

export interface AuthUser {
  userId: string;
  sessionId: string;
  role: Role;
  /** What carried the credential: `ticket` is a WebSocket ticket, redeemed by the socket route. */
  via: SessionCredential | 'ticket';
}

/**
 * Turns verified token claims into the current user, re-reading what must take effect at once
 * (role, suspension, revoked session). The accounts module supplies it; null means "not valid".
 */
export type SessionResolver = (claims: {
  userId: string;
  sessionId: string;
}) => Promise<{ role: Role } | null>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route is authorised by its own signature, not the session; no CSRF check. */
    csrf?: boolean;
  }
  interface FastifyRequest {
    auth: AuthUser | null;
    /** Why a presented credential was not accepted, for a precise 401. */
    authProblem: 'expired' | 'invalid' | null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The OpenAPI `security` of a route that needs a signed-in user (a bearer token or the session
 * cookie). Declaring it is also what makes the check run before the body is read: a request
 * without a valid session gets 401, whatever it sent (see the `onRoute` hook below).
 */
export const signedInSecurity: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

/** Whether a route's declared `security` requires a credential (an empty entry would make it optional). */
function requiresCredential(security: unknown): boolean {
  return (
    Array.isArray(security) &&
    security.length > 0 &&
    (security as unknown[]).every(
      (entry) => entry !== null && typeof entry === 'object' && Object.keys(entry).length > 0,
    )
  );
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Parses the credential of every request (Bearer header first, then the access cookie) and checks
 * the CSRF double-submit token on unsafe cookie-authenticated requests. Routes ask for a user with
 * `requireUser(request)`.
 */
export const authPlugin = fp(
  (
    app: FastifyInstance,
    opts: { tokens: AccessTokens; resolve: SessionResolver; accessCookie: string },
    done,
  ) => {
    app.decorateRequest('auth', null);
    app.decorateRequest('authProblem', null);
    // A callback hook with a synchronous path for the common case (no credential at all); only a
    // presented token costs a promise.
    app.addHook('onRequest', (request, _reply, next) => {
      const header = request.headers.authorization;
      let token: string | undefined;
      let via: SessionCredential = 'bearer';
      if (header?.startsWith('Bearer ')) {
        token = header.slice(7).trim();
      } else if (request.cookies[opts.accessCookie]) {
        token = request.cookies[opts.accessCookie];
        via = 'cookie';
      }
      if (!token) {
        next();
        return;
      }
      authenticate(request, token, via).then(() => next(), next);
    });

    // A route that declares `security` answers 401 to a request without a valid session before
    // its body is read or validated: a 400 would describe the route's input to an anonymous caller
    // and hide the real problem. Route-level onRequest hooks run after the global ones, so the
    // credential above has been resolved. The handler's own requireUser() stays as the guarantee.
    app.addHook('onRoute', (route) => {
      if (!requiresCredential(route.schema?.security)) return;
      const existing = route.onRequest;
      const hooks = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
      route.onRequest = [...hooks, requireSignedIn];
    });

    async function authenticate(request: FastifyRequest, token: string, via: SessionCredential) {
      const result = await opts.tokens.verify(token);
      if (!result.ok) {
        request.authProblem = result.reason;
        return;
      }
      const session = await opts.resolve(result.claims);
      if (!session) {
        request.authProblem = 'invalid';
        return;
      }
      // Routes authorised by something else (a presigned URL's signature) opt out with `csrf: false`.
      const csrfExempt = request.routeOptions.config?.csrf === false;
      if (via === 'cookie' && UNSAFE.has(request.method) && !csrfExempt) {
        const cookie = request.cookies[CSRF_COOKIE];
        const sent = request.headers[CSRF_HEADER];
        if (!cookie || typeof sent !== 'string' || !safeEqual(cookie, sent)) {
          throw new AppError('FORBIDDEN', 'Missing or invalid CSRF token', { reason: 'CSRF' });
        }
      }
      request.auth = { ...result.claims, role: session.role, via };
    }
    done();
  },
  { name: 'hanger-auth', dependencies: ['hanger-cookies'] },
);

function requireSignedIn(
  request: FastifyRequest,
  _reply: unknown,
  done: (err?: Error) => void,
): void {
  try {
    requireUser(request);
  } catch (err) {
    done(err as Error);
    return;
  }
  done();
}

export function requireUser(request: FastifyRequest): AuthUser {
  if (request.auth) return request.auth;
  throw new AppError(
    'UNAUTHENTICATED',
    request.authProblem === 'expired' ? 'Your session has expired' : 'Authentication required',
  );
}

export function requireRole(request: FastifyRequest, ...roles: Role[]): AuthUser {
  const user = requireUser(request);
  if (!roles.includes(user.role)) throw new AppError('FORBIDDEN', 'You do not have access to this');
  return user;
}
