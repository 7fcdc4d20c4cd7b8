import { envelope, wsTicket } from '@hanger/contracts';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SessionResolver } from '../../platform/auth/plugin';
import { requireUser } from '../../platform/auth/plugin';
import { AppError } from '../../platform/errors';
import type { RealtimeHub } from './realtime.hub';
import type { WsTickets } from './ws-tickets';

export interface RealtimeRoutesDeps {
  hub: RealtimeHub;
  tickets: WsTickets;
  resolveSession: SessionResolver;
  /** The browser origin allowed to open a cookie-authenticated socket (config.publicUrl). */
  publicUrl: string;
}

/**
 * `POST /ws/ticket` and `GET /ws`. The upgrade is authorised in a preValidation hook, so a
 * refused client gets an ordinary HTTP 401/403 and never a socket.
 */
export const realtimeRoutes: FastifyPluginCallbackZod<RealtimeRoutesDeps> = (app, deps, done) => {
  const allowedOrigin = new URL(deps.publicUrl).origin;

  app.post(
    '/ws/ticket',
    {
      schema: {
        tags: ['realtime'],
        summary: 'A single-use, 30-second ticket for opening the WebSocket without a cookie',
        security: [{ bearer: [] }, { cookie: [] }],
        response: { 201: envelope(wsTicket) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { ticket, expiresAt } = await deps.tickets.issue({
        userId: user.userId,
        sessionId: user.sessionId,
      });
      return reply.status(201).send({ data: { ticket, expiresAt: expiresAt.toISOString() } });
    },
  );

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { querystring: z.object({ ticket: z.string().max(200).optional() }) },
      preValidation: async (request) => {
        const { ticket } = request.query;
        if (ticket) {
          const claims = await deps.tickets.redeem(ticket);
          const session = claims && (await deps.resolveSession(claims));
          if (!claims || !session) {
            throw new AppError('UNAUTHENTICATED', 'The ticket is invalid, expired or already used');
          }
          // The ticket's user is the request's, as a bearer token's would be: on the request's
          // line and span too.
          const { userId, sessionId } = claims;
          request.auth = { userId, sessionId, role: session.role, via: 'ticket' };
          return;
        }
        const user = requireUser(request);
        if (user.via === 'cookie' && request.headers.origin !== allowedOrigin) {
          throw new AppError('FORBIDDEN', 'Cross-origin WebSocket refused', { reason: 'ORIGIN' });
        }
      },
    },
    (socket, request) => {
      // The ticket's user (set by preValidation) or the bearer's or cookie's (the auth plugin's):
      // preValidation refused the upgrade without one.
      const who = request.auth;
      if (!who) {
        socket.close(1008, 'Unauthenticated');
        return;
      }
      void deps.hub.attach(socket, who.userId, who.sessionId);
    },
  );

  done();
};
