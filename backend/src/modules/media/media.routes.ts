import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import {
  createUploadBody,
  envelope,
  errorBody,
  idParams,
  upload,
  uploadTicket,
} from '@hanger/contracts';
import { requireUser } from '../../platform/auth/plugin';
import type { MediaService } from './media.service';

const security: { [name: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

/** `POST /uploads` (a presigned PUT) and `GET /uploads/{id}` (processing state). */
export const mediaRoutes: FastifyPluginCallbackZod<{ media: MediaService }> = (
  app,
  { media },
  done,
) => {
  app.post(
    '/uploads',
    {
      schema: {
        tags: ['media'],
        summary: 'Ask for a presigned upload URL (image, at most 15 MB)',
        security,
        body: createUploadBody,
        response: {
          201: envelope(uploadTicket),
          ...errors,
          413: errorBody,
          415: errorBody,
          429: errorBody,
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const data = await media.createUpload(user.userId, request.body);
      return reply.status(201).send({ data });
    },
  );

  app.get(
    '/uploads/:id',
    {
      schema: {
        tags: ['media'],
        summary: "An upload's processing state (owner only)",
        security,
        params: idParams,
        response: { 200: envelope(upload), ...errors },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { data: await media.getUpload(user.userId, request.params.id) };
    },
  );
  done();
};
