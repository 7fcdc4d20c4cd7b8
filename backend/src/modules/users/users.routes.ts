import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import {
  deleteMeBody,
  envelope,
  exportJob,
  idParams,
  me,
  publicProfile,
  updateMeBody,
  usernameParams,
} from '@hanger/contracts';
import { requireUser, signedInSecurity as security } from '../../platform/auth/plugin';
import type { UsersService } from './users.service';

const tags = ['me'];

export const usersRoutes: FastifyPluginCallbackZod<{ users: UsersService }> = (
  app,
  { users },
  done,
) => {
  app.get(
    '/me',
    { schema: { security, tags, summary: 'The signed-in user', response: { 200: envelope(me) } } },
    async (request) => ({ data: await users.me(requireUser(request).userId) }),
  );

  app.patch(
    '/me',
    {
      schema: {
        security,
        tags,
        summary: 'Update my profile; email and password need currentPassword',
        body: updateMeBody,
        response: { 200: envelope(me) },
      },
    },
    async (request) => {
      const auth = requireUser(request);
      return { data: await users.updateMe(auth.userId, auth.sessionId, request.body) };
    },
  );

  app.delete(
    '/me',
    {
      schema: {
        security,
        tags,
        summary: 'Delete my account (needs my password)',
        body: deleteMeBody,
      },
    },
    async (request, reply) => {
      await users.deleteMe(requireUser(request).userId, request.body.password);
      return reply.status(204).send();
    },
  );

  app.post(
    '/me/export',
    {
      schema: {
        security,
        tags,
        summary: 'Start an export of my data',
        response: { 202: envelope(exportJob) },
      },
      config: { rateLimit: { max: 5, timeWindow: 3_600_000 } },
    },
    async (request, reply) =>
      reply.status(202).send({ data: await users.requestExport(requireUser(request).userId) }),
  );

  app.get(
    '/me/exports',
    {
      schema: {
        security,
        tags,
        summary: 'My recent exports',
        response: { 200: envelope(z.array(exportJob)) },
      },
    },
    async (request) => ({ data: await users.latestExports(requireUser(request).userId) }),
  );

  app.get(
    '/me/exports/:id',
    {
      schema: {
        security,
        tags,
        summary: 'Export status and download link',
        params: idParams,
        response: { 200: envelope(exportJob) },
      },
    },
    async (request) => ({
      data: await users.exportStatus(requireUser(request).userId, request.params.id),
    }),
  );

  app.get(
    '/users/:username',
    {
      schema: {
        tags: ['users'],
        summary: 'A public profile',
        params: usernameParams,
        response: { 200: envelope(publicProfile) },
      },
    },
    async (request) => ({
      data: await users.profile(request.params.username, request.auth?.userId),
    }),
  );

  done();
};
