import {
  blockListEntry,
  envelope,
  followListEntry,
  followState,
  pageEnvelope,
  pageQuery,
  usernameParams,
} from '@hanger/contracts';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { requireUser } from '../../platform/auth/plugin';
import type { SocialService } from './social.service';

const security: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

export const socialRoutes: FastifyPluginCallbackZod<{ social: SocialService }> = (
  app,
  { social },
  done,
) => {
  app.post(
    '/users/:username/follow',
    {
      schema: {
        tags: ['social'],
        summary: 'Follow a user (idempotent)',
        security,
        params: usernameParams,
        response: { 200: envelope(followState) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await social.follow(user.userId, request.params.username) };
    },
  );

  app.delete(
    '/users/:username/follow',
    {
      schema: {
        tags: ['social'],
        summary: 'Unfollow a user (idempotent)',
        security,
        params: usernameParams,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await social.unfollow(user.userId, request.params.username);
      return reply.status(204).send();
    },
  );

  for (const direction of ['followers', 'following'] as const) {
    app.get(
      `/users/:username/${direction}`,
      {
        schema: {
          tags: ['social'],
          summary:
            direction === 'followers'
              ? "A user's followers, newest first"
              : 'Who a user follows, newest first',
          params: usernameParams,
          querystring: pageQuery,
          response: { 200: pageEnvelope(followListEntry) },
        },
      },
      async (request) => {
        const page = await social.followList(
          direction,
          request.params.username,
          request.auth?.userId ?? null,
          request.query,
        );
        return { data: page.items, meta: { nextCursor: page.nextCursor } };
      },
    );
  }

  app.post(
    '/users/:username/block',
    {
      schema: {
        tags: ['social'],
        summary: 'Block a user: removes follows both ways, stops follows, comments and messages',
        security,
        params: usernameParams,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await social.block(user.userId, request.params.username);
      return reply.status(204).send();
    },
  );

  app.delete(
    '/users/:username/block',
    {
      schema: {
        tags: ['social'],
        summary: 'Unblock a user (idempotent)',
        security,
        params: usernameParams,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await social.unblock(user.userId, request.params.username);
      return reply.status(204).send();
    },
  );

  app.get(
    '/me/blocks',
    {
      schema: {
        tags: ['social'],
        summary: 'Users I blocked, newest first',
        security,
        querystring: pageQuery,
        response: { 200: pageEnvelope(blockListEntry) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const page = await social.blockList(user.userId, request.query);
      return { data: page.items, meta: { nextCursor: page.nextCursor } };
    },
  );

  done();
};
