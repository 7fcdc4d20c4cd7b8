import {
  envelope,
  favoriteListEntry,
  favoriteState,
  idParams,
  likeState,
  pageEnvelope,
  pageQuery,
} from '@hanger/contracts';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { requireUser } from '../../platform/auth/plugin';
import type { ReactionsService } from './reactions.service';

const security: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

export const reactionsRoutes: FastifyPluginCallbackZod<{ reactions: ReactionsService }> = (
  app,
  { reactions },
  done,
) => {
  app.post(
    '/items/:id/like',
    {
      schema: {
        tags: ['social'],
        summary: 'Like an item (idempotent)',
        security,
        params: idParams,
        response: { 200: envelope(likeState) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await reactions.like(user.userId, request.params.id) };
    },
  );

  app.delete(
    '/items/:id/like',
    {
      schema: {
        tags: ['social'],
        summary: 'Unlike an item (idempotent)',
        security,
        params: idParams,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await reactions.unlike(user.userId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/items/:id/favorite',
    {
      schema: {
        tags: ['social'],
        summary: 'Save an item to my favourites (idempotent)',
        security,
        params: idParams,
        response: { 200: envelope(favoriteState) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await reactions.favorite(user.userId, request.params.id) };
    },
  );

  app.delete(
    '/items/:id/favorite',
    {
      schema: {
        tags: ['social'],
        summary: 'Remove an item from my favourites (idempotent)',
        security,
        params: idParams,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await reactions.unfavorite(user.userId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/me/favorites',
    {
      schema: {
        tags: ['social'],
        summary: 'My saved items, most recently saved first',
        security,
        querystring: pageQuery,
        response: { 200: pageEnvelope(favoriteListEntry) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const page = await reactions.favorites(user.userId, request.query);
      return { data: page.items, meta: { nextCursor: page.nextCursor } };
    },
  );

  done();
};
