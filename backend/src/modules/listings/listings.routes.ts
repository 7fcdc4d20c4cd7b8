import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createItemBody,
  envelope,
  errorBody,
  idParams,
  item,
  pageEnvelope,
  updateItemBody,
  userItemsQuery,
  usernameParams,
} from '@hanger/contracts';
import { requireUser } from '../../platform/auth/plugin';
import type { ListingsService, Viewer } from './listings.service';

const auth: { [name: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

/** Items CRUD and a seller's items. Handlers are thin: one service call each. */
export const listingsRoutes: FastifyPluginCallbackZod<{ listings: ListingsService }> = (
  app,
  { listings },
  done,
) => {
  const viewerOf = (auth: { userId: string; role: Viewer['role'] } | null): Viewer | null =>
    auth ? { userId: auth.userId, role: auth.role } : null;

  app.post(
    '/items',
    {
      schema: {
        tags: ['listings'],
        summary: 'List an item for sale, with 1–20 uploaded photos in order',
        security: auth,
        body: createItemBody,
        response: { 201: envelope(item), ...errors },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const data = await listings.create(user.userId, request.body);
      return reply.status(201).send({ data });
    },
  );

  app.get(
    '/items/:id',
    {
      schema: {
        tags: ['listings'],
        summary: 'One item (hidden items only for their seller and moderators)',
        params: idParams,
        response: { 200: envelope(item), ...errors },
      },
    },
    async (request) => ({ data: await listings.get(request.params.id, viewerOf(request.auth)) }),
  );

  app.patch(
    '/items/:id',
    {
      schema: {
        tags: ['listings'],
        summary: 'Edit an item or change its status (seller; moderators may hide)',
        security: auth,
        params: idParams,
        body: updateItemBody,
        response: { 200: envelope(item), ...errors },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await listings.update(user, request.params.id, request.body) };
    },
  );

  app.delete(
    '/items/:id',
    {
      schema: {
        tags: ['listings'],
        summary: 'Delete an item (soft delete, seller only)',
        security: auth,
        params: idParams,
        response: { 204: z.null().describe('Deleted'), ...errors },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await listings.delete(user, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/users/:username/items',
    {
      schema: {
        tags: ['listings'],
        summary: "A seller's items, newest first (cursor pagination)",
        params: usernameParams,
        querystring: userItemsQuery,
        response: { 200: pageEnvelope(item), ...errors },
      },
    },
    async (request) => {
      const page = await listings.listBySeller(
        request.params.username,
        request.query,
        viewerOf(request.auth),
      );
      return { data: page.data, meta: { nextCursor: page.nextCursor } };
    },
  );
  done();
};
