import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { errorBody, feedQuery, feedResponse } from '@hanger/contracts';
import type { FeedService } from './feed.service';

/** `GET /feed`: followed sellers' newest items, then popular nearby ones (visitors: only those). */
export const feedRoutes: FastifyPluginCallbackZod<{ feed: FeedService }> = (
  app,
  { feed },
  done,
) => {
  app.get(
    '/feed',
    {
      schema: {
        tags: ['feed'],
        summary:
          'Home feed: newest items from followed sellers, filled with popular nearby items (cursor pagination)',
        querystring: feedQuery,
        response: { 200: feedResponse, 400: errorBody },
      },
    },
    (request) =>
      feed.feed(
        request.query,
        request.auth ? { userId: request.auth.userId, role: request.auth.role } : null,
      ),
  );
  done();
};
