import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  acceptedResponse,
  envelope,
  forgotBody,
  idParams,
  loginBody,
  refreshBody,
  registerBody,
  registerResponse,
  resetBody,
  session,
  sessionResponse,
  tokenBody,
  type SessionResponse,
} from '@hanger/contracts';
import { CSRF_HEADER, requireUser, signedInSecurity as security } from '../../platform/auth/plugin';
import { ACCESS_TOKEN_TTL_SEC } from '../../platform/auth/tokens';
import { AppError } from '../../platform/errors';
import { clientKey } from '../../platform/http/rate-limit';
import type { AuthService, ClientMeta, IssuedSession } from './auth.service';
import { clearSessionCookies, setSessionCookies, type CookieNames } from './cookies';

const tags = ['auth'];
/** Per-IP limits on the credential endpoints, on top of the service's own back-off and quotas. */
const strict = { rateLimit: { max: 30, timeWindow: 60_000 } };

function meta(request: FastifyRequest): ClientMeta {
  const ua = request.headers['user-agent'];
  return {
    ip: request.ip ?? null,
    clientKey: clientKey(request),
    userAgent: typeof ua === 'string' ? ua : null,
  };
}

export const authRoutes: FastifyPluginCallbackZod<{ auth: AuthService; cookies: CookieNames }> = (
  app,
  { auth, cookies },
  done,
) => {
  /** Browsers get cookies; API clients (`client: "api"`) get the refresh token in the body. */
  const respond = (
    reply: FastifyReply,
    s: IssuedSession,
    client: 'browser' | 'api',
  ): SessionResponse => {
    if (client === 'browser') {
      setSessionCookies(reply, cookies, {
        accessToken: s.accessToken,
        accessMaxAgeSec: ACCESS_TOKEN_TTL_SEC,
        refreshToken: s.refreshToken,
        refreshMaxAgeSec: s.refreshMaxAgeSec,
        csrfToken: s.csrfToken,
      });
    }
    return {
      data: {
        user: s.user,
        accessToken: s.accessToken,
        accessTokenExpiresAt: s.accessTokenExpiresAt.toISOString(),
        csrfToken: s.csrfToken,
        ...(client === 'api' ? { refreshToken: s.refreshToken } : {}),
      },
    };
  };

  /** A cookie-carried refresh token is a browser credential: demand the CSRF double-submit. */
  const checkCsrf = (request: FastifyRequest) => {
    const cookie = request.cookies[cookies.csrf];
    const header = request.headers[CSRF_HEADER];
    if (!cookie || cookie !== header) {
      throw new AppError('FORBIDDEN', 'Missing or invalid CSRF token', { reason: 'CSRF' });
    }
  };

  app.post(
    '/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account; a verification mail follows',
        body: registerBody,
        response: { 202: registerResponse },
      },
      config: strict,
    },
    async (request, reply) => {
      await auth.register(request.body, meta(request));
      return reply
        .status(202)
        .send({ data: { status: 'verification_sent' as const, email: request.body.email } });
    },
  );

  app.post(
    '/auth/verify-email',
    {
      schema: {
        tags,
        summary: 'Confirm an email address and sign in',
        body: tokenBody,
        response: { 200: sessionResponse },
      },
      config: strict,
    },
    async (request, reply) =>
      respond(
        reply,
        await auth.verifyEmail(request.body.token, meta(request)),
        request.body.client,
      ),
  );

  app.post(
    '/auth/verify-email/resend',
    {
      schema: {
        security,
        tags,
        summary: 'Send the verification mail again',
        response: { 202: acceptedResponse },
      },
      config: strict,
    },
    async (request, reply) => {
      await auth.resendVerification(requireUser(request).userId);
      return reply.status(202).send({ data: { status: 'accepted' as const } });
    },
  );

  app.post(
    '/auth/login',
    {
      schema: { tags, summary: 'Sign in', body: loginBody, response: { 200: sessionResponse } },
      config: strict,
    },
    async (request, reply) =>
      respond(
        reply,
        await auth.login(request.body.email, request.body.password, meta(request)),
        request.body.client,
      ),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Rotate the refresh token and get a new access token',
        body: refreshBody.nullish(),
        response: { 200: sessionResponse },
      },
      config: strict,
    },
    async (request, reply) => {
      const fromBody = request.body?.refreshToken;
      const fromCookie = request.cookies[cookies.refresh];
      if (!fromBody && !fromCookie) throw new AppError('UNAUTHENTICATED', 'No refresh token');
      if (!fromBody) checkCsrf(request);
      try {
        return respond(
          reply,
          await auth.refresh(fromBody ?? fromCookie!),
          fromBody ? 'api' : 'browser',
        );
      } catch (err) {
        if (!fromBody) clearSessionCookies(reply, cookies);
        throw err;
      }
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, summary: 'Sign out of this session', body: refreshBody.nullish() } },
    async (request, reply) => {
      if (request.auth) {
        await auth.logout(request.auth.sessionId);
      } else if (request.body?.refreshToken) {
        await auth.logoutByRefreshToken(request.body.refreshToken);
      } else if (request.cookies[cookies.refresh]) {
        checkCsrf(request);
        await auth.logoutByRefreshToken(request.cookies[cookies.refresh]!);
      }
      clearSessionCookies(reply, cookies);
      return reply.status(204).send();
    },
  );

  app.post(
    '/auth/password/forgot',
    {
      schema: {
        tags,
        summary: 'Mail a password reset link (always 202)',
        body: forgotBody,
        response: { 202: acceptedResponse },
      },
      config: strict,
    },
    async (request, reply) => {
      await auth.forgotPassword(request.body.email, meta(request));
      return reply.status(202).send({ data: { status: 'accepted' as const } });
    },
  );

  app.post(
    '/auth/password/reset',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset token; ends every session',
        body: resetBody,
      },
      config: strict,
    },
    async (request, reply) => {
      await auth.resetPassword(request.body.token, request.body.newPassword, meta(request));
      return reply.status(204).send();
    },
  );

  app.get(
    '/me/sessions',
    {
      schema: {
        security,
        tags: ['me'],
        summary: 'Devices signed in to my account',
        response: { 200: envelope(z.array(session)) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await auth.sessions(user.userId, user.sessionId) };
    },
  );

  app.delete(
    '/me/sessions/:id',
    { schema: { security, tags: ['me'], summary: 'End one session', params: idParams } },
    async (request, reply) => {
      await auth.revokeSession(requireUser(request).userId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.delete(
    '/me/sessions',
    { schema: { security, tags: ['me'], summary: 'End every session except this one' } },
    async (request, reply) => {
      const user = requireUser(request);
      await auth.revokeOtherSessions(user.userId, user.sessionId);
      return reply.status(204).send();
    },
  );

  done();
};
