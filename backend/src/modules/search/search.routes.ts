import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  brandSuggestion,
  brandsQuery,
  createSavedSearchBody,
  envelope,
  errorBody,
  idParams,
  savedSearch,
  searchQuery,
  searchResponse,
} from '@hanger/contracts';
import { requireUser } from '../../platform/auth/plugin';
import type { SavedSearchesService } from './saved-searches.service';
import type { SearchService } from './search.service';

const auth: { [name: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const errors = { 400: errorBody, 401: errorBody, 404: errorBody, 409: errorBody };

/** Discovery: search, brand autocomplete, saved searches. One service call per handler. */
export const searchRoutes: FastifyPluginCallbackZod<{
  search: SearchService;
  savedSearches: SavedSearchesService;
}> = (app, { search, savedSearches }, done) => {
  app.get(
    '/search',
    {
      schema: {
        tags: ['search'],
        summary:
          'Full-text search with filters, sorts, disjunctive facets and a typo fallback (cursor pagination)',
        querystring: searchQuery,
        response: { 200: searchResponse, ...errors },
      },
    },
    (request) =>
      search.search(
        request.query,
        request.auth ? { userId: request.auth.userId, role: request.auth.role } : null,
      ),
  );

  app.get(
    '/brands',
    {
      schema: {
        tags: ['search'],
        summary: 'Brand autocomplete: brands starting with the prefix, most listed first',
        querystring: brandsQuery,
        response: { 200: envelope(z.array(brandSuggestion)), ...errors },
      },
    },
    async (request) => ({
      data: await search.brands(request.query.prefix, request.query.limit),
    }),
  );

  app.get(
    '/saved-searches',
    {
      schema: {
        tags: ['search'],
        summary: "The caller's saved searches, newest first",
        security: auth,
        response: { 200: envelope(z.array(savedSearch)), ...errors },
      },
    },
    async (request) => ({ data: await savedSearches.list(requireUser(request).userId) }),
  );

  app.post(
    '/saved-searches',
    {
      schema: {
        tags: ['search'],
        summary: 'Save a search; new matching items are notified (batched, at most every 15 min)',
        security: auth,
        body: createSavedSearchBody,
        response: { 201: envelope(savedSearch), ...errors },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const data = await savedSearches.create(user.userId, request.body);
      return reply.status(201).send({ data });
    },
  );

  app.delete(
    '/saved-searches/:id',
    {
      schema: {
        tags: ['search'],
        summary: 'Delete one of your saved searches',
        security: auth,
        params: idParams,
        response: { 204: z.null().describe('Deleted'), ...errors },
      },
    },
    async (request, reply) => {
      await savedSearches.delete(requireUser(request).userId, request.params.id);
      return reply.status(204).send(null);
    },
  );
  done();
};
