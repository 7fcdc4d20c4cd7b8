import {
  comment,
  createCommentBody,
  envelope,
  idParams,
  pageEnvelope,
  pageQuery,
  updateCommentBody,
} from '@hanger/contracts';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { requireUser } from '../../platform/auth/plugin';
import type { CommentsService } from './comments.service';

const security: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

export const commentsRoutes: FastifyPluginCallbackZod<{ comments: CommentsService }> = (
  app,
  { comments },
  done,
) => {
  app.get(
    '/items/:id/comments',
    {
      schema: {
        tags: ['comments'],
        summary: "An item's comments, oldest first",
        params: idParams,
        querystring: pageQuery,
        response: { 200: pageEnvelope(comment) },
      },
    },
    async (request) => {
      const page = await comments.list(
        request.params.id,
        request.auth?.userId ?? null,
        request.query,
      );
      return { data: page.items, meta: { nextCursor: page.nextCursor } };
    },
  );

  app.post(
    '/items/:id/comments',
    {
      schema: {
        tags: ['comments'],
        summary: 'Comment on an item (not across a block)',
        security,
        params: idParams,
        body: createCommentBody,
        response: { 201: envelope(comment) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const created = await comments.create(user.userId, request.params.id, request.body.body);
      return reply.status(201).send({ data: created });
    },
  );

  app.patch(
    '/comments/:id',
    {
      schema: {
        tags: ['comments'],
        summary: 'Edit my comment',
        security,
        params: idParams,
        body: updateCommentBody,
        response: { 200: envelope(comment) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await comments.update(user, request.params.id, request.body.body) };
    },
  );

  app.delete(
    '/comments/:id',
    {
      schema: {
        tags: ['comments'],
        summary: "Delete a comment (its author, the item's seller or a moderator)",
        security,
        params: idParams,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await comments.delete(user, request.params.id);
      return reply.status(204).send();
    },
  );

  done();
};
