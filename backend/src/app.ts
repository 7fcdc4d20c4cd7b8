import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Services } from './composition';
import type { Config } from './config';
import { authRoutes } from './modules/auth';
import { usersRoutes } from './modules/users';
import { notificationsRoutes } from './modules/notifications';
import { realtimeRoutes } from './modules/realtime';
import { reactionsRoutes, socialRoutes } from './modules/social';
import { commentsRoutes } from './modules/comments';
import websocket from '@fastify/websocket';
import { WS_MAX_INBOUND_BYTES } from '@hanger/contracts';
import { mailboxRoutes } from './platform/mail/mailbox.routes';
import { healthRoutes } from './modules/health/health.routes';
import { observabilityPlugin } from './platform/observability';
import { listingsRoutes } from './modules/listings';
import { searchRoutes } from './modules/search';
import { feedRoutes } from './modules/feed';
import { mediaRoutes } from './modules/media';
import { authPlugin, type SessionResolver } from './platform/auth/plugin';
import type { AccessTokens } from './platform/auth/tokens';
import { registerErrorHandling, sendError } from './platform/http/errors';
import { rateCounters, rateLimitPlugin } from './platform/http/rate-limit';
import { registerEtags } from './platform/http/etag';
import { genReqId } from './platform/http/request-id';
import { registerRequestEnds } from './platform/http/request-ends';
import { registerRequestLog } from './platform/http/request-log';
import { responseSerializerCompiler } from './platform/http/serializer';
import { requestLoggerFactory } from './platform/logging/request-logger';
import { API_SECURITY_HEADERS, registerSecurityHeaders } from './platform/http/security-headers';
import { cookiesPlugin } from './platform/http/cookies';
import { routeTemplatePlugin } from './platform/http/route';
import type { App } from './platform/http/types';
import type { Adapters } from './platform/runtime';
import { LocalDiskStorage } from './platform/storage/local';
import { localStorageRoutes } from './platform/storage/local-storage.routes';

export const API_PREFIX = '/api/v1';
export const spaDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../frontend/dist',
);

export interface AppDeps {
  config: Config;
  log: Logger;
  adapters: Adapters;
  tokens: AccessTokens;
  resolveSession: SessionResolver;
  services: Services;
}

/**
 * Builds the HTTP application. Registration order is explicit: external plugins, then the
 * platform's own (auth, errors, etags), then every module's routes under /api/v1.
 */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, adapters } = deps;
  const logger: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance: logger,
    childLoggerFactory: requestLoggerFactory,
    genReqId,
    // Fastify's own request lines are off: platform/http/request-log.ts writes one line per request.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: true,
    }),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
    // Malformed URLs and headers Fastify rejects before routing get our envelope too.
    frameworkErrors: (error, request, reply) => {
      void sendError(
        reply,
        request,
        'VALIDATION_FAILED',
        `The request is malformed: ${error.message}`,
      );
    },
    routerOptions: { maxParamLength: 512 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);

  // 0. Metrics and the request's trace span first, so everything after runs inside them.
  await app.register(routeTemplatePlugin);
  const ends = registerRequestEnds(app);
  await app.register(observabilityPlugin, { metrics: adapters.metrics, ends, config });

  // 1. External plugins.
  await app.register(cookiesPlugin);
  // x-request-id and helmet's headers (one set for documents, a smaller one for JSON).
  registerSecurityHeaders(app, {
    api: API_SECURITY_HEADERS,
    document: {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:', new URL(config.publicMediaBaseUrl).origin],
          connectSrc: ["'self'", ...connectOrigins(config)],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'"],
          fontSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: null,
        },
      },
      crossOriginEmbedderPolicy: false,
      hsts: config.env === 'production',
    },
  });
  await app.register(rateLimitPlugin, {
    max: config.rateLimit.max,
    windowMs: config.rateLimit.windowMs,
    ...rateCounters(adapters.redis, `${config.redis?.prefix ?? 'hanger'}:rl:`, deps.log),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hanger API',
        version: '1.0.0',
        description: 'Social marketplace for second-hand clothing. Envelope: `{ data, meta }`.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'hanger_at' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  // 2. Platform plugins.
  await app.register(authPlugin, {
    tokens: deps.tokens,
    resolve: deps.resolveSession,
    accessCookie: deps.services.cookies.access,
  });
  registerErrorHandling(app);
  registerEtags(app);
  registerRequestLog(app, deps.log, ends);

  // 3. Routes.
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(healthRoutes, { adapters, runtime: config.runtime });
  await app.register(healthRoutes, { adapters, runtime: config.runtime, prefix: API_PREFIX });
  if (adapters.storage instanceof LocalDiskStorage) localStorageRoutes(app, adapters.storage);
  const { services } = deps;
  await app.register(authRoutes, {
    prefix: API_PREFIX,
    auth: services.auth,
    cookies: services.cookies,
  });
  await app.register(usersRoutes, { prefix: API_PREFIX, users: services.users });
  if (config.env !== 'production') {
    await app.register(mailboxRoutes, { prefix: API_PREFIX, mailer: services.mailer });
  }
  await app.register(socialRoutes, { prefix: API_PREFIX, social: services.social });
  await app.register(reactionsRoutes, { prefix: API_PREFIX, reactions: services.reactions });
  await app.register(commentsRoutes, { prefix: API_PREFIX, comments: services.comments });
  await app.register(notificationsRoutes, {
    prefix: API_PREFIX,
    notifications: services.notifications,
  });
  // WebSocket support in its own context: its per-request hooks run on the socket route only.
  await app.register(async (scope) => {
    await scope.register(websocket, { options: { maxPayload: WS_MAX_INBOUND_BYTES } });
    // An upgrade answered (101) or refused by `ws` (400) ends its request: no response goes
    // through Fastify.
    ends.watchUpgrades(scope.websocketServer);
    await scope.register(realtimeRoutes, {
      prefix: API_PREFIX,
      hub: services.realtime.hub,
      tickets: services.realtime.tickets,
      resolveSession: deps.resolveSession,
      publicUrl: config.publicUrl,
    });
  });

  await app.register(mediaRoutes, { prefix: API_PREFIX, media: deps.services.media });
  await app.register(listingsRoutes, { prefix: API_PREFIX, listings: deps.services.listings });
  await app.register(searchRoutes, {
    prefix: API_PREFIX,
    search: deps.services.search,
    savedSearches: deps.services.savedSearches,
  });
  await app.register(feedRoutes, { prefix: API_PREFIX, feed: deps.services.feed });

  registerSpa(app, config);
  return app;
}

function connectOrigins(config: Config): string[] {
  const origins = new Set<string>();
  const ws = new URL(config.publicUrl);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  origins.add(ws.origin);
  if (config.storage.kind === 's3' && config.storage.endpoint) {
    origins.add(new URL(config.storage.endpoint).origin);
  }
  return [...origins];
}

/** Serves the built SPA: hashed assets cached for a year, index.html for every client route. */
function registerSpa(app: App, config: Config) {
  const index = path.join(spaDir, 'index.html');
  const hasSpa = config.serveSpa && fs.existsSync(index);
  if (hasSpa) {
    void app.register(fastifyStatic, {
      root: spaDir,
      wildcard: false,
      index: false,
      setHeaders: (res, filePath) => {
        res.setHeader(
          'cache-control',
          filePath.includes(`${path.sep}assets${path.sep}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        );
      },
    });
  }
  app.setNotFoundHandler((request, reply) => {
    const isApi = request.url.startsWith('/api/') || request.url === '/api';
    if (hasSpa && !isApi && (request.method === 'GET' || request.method === 'HEAD')) {
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(fs.createReadStream(index));
    }
    return sendError(
      reply,
      request,
      'NOT_FOUND',
      `No route for ${request.method} ${request.url.split('?')[0]}`,
    );
  });
}
