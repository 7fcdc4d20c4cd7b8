import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mailMessage } from '@hanger/contracts';
import type { Mailer } from './mailer';

/** The dev mailbox: mail the app "sent", readable without SMTP. Never registered in production. */
export const mailboxRoutes: FastifyPluginCallbackZod<{ mailer: Mailer }> = (
  app,
  { mailer },
  done,
) => {
  app.get(
    '/dev/mailbox',
    {
      schema: {
        tags: ['dev'],
        summary: 'Mail sent by the app (development and test only)',
        querystring: z.object({ to: z.string().max(254).optional() }),
        response: { 200: z.object({ data: z.array(mailMessage) }) },
      },
    },
    async (request) => {
      const rows = await mailer.mailbox(request.query.to);
      return {
        data: rows.map((m) => ({
          id: m.id,
          to: m.to,
          subject: m.subject,
          text: m.text,
          createdAt: m.createdAt.toISOString(),
        })),
      };
    },
  );
  done();
};
