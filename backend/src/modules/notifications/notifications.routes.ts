import {
  envelope,
  idParams,
  notification,
  notificationsQuery,
  pageEnvelope,
  unreadCount,
} from '@hanger/contracts';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { requireUser } from '../../platform/auth/plugin';
import type { NotificationsService } from './notifications.service';

const security: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

export const notificationsRoutes: FastifyPluginCallbackZod<{
  notifications: NotificationsService;
}> = (app, { notifications }, done) => {
  app.get(
    '/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My notifications, newest activity first (`unread=true` for unread only)',
        security,
        querystring: notificationsQuery,
        response: { 200: pageEnvelope(notification) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const page = await notifications.list(user.userId, request.query);
      return { data: page.items, meta: { nextCursor: page.nextCursor } };
    },
  );

  app.get(
    '/notifications/unread-count',
    {
      schema: {
        tags: ['notifications'],
        summary: 'How many of my notifications are unread',
        security,
        response: { 200: envelope(unreadCount) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: { count: await notifications.unreadCount(user.userId) } };
    },
  );

  app.post(
    '/notifications/:id/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark one of my notifications read (idempotent); returns the unread count',
        security,
        params: idParams,
        response: { 200: envelope(unreadCount) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: { count: await notifications.markRead(user.userId, request.params.id) } };
    },
  );

  app.post(
    '/notifications/read-all',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark all my notifications read; returns the unread count',
        security,
        response: { 200: envelope(unreadCount) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: { count: await notifications.markAllRead(user.userId) } };
    },
  );

  done();
};
