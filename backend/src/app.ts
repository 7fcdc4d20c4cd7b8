import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from './config';
import { healthRoutes } from './modules/health/health.routes';
import { authPlugin, type SessionResolver } from './platform/auth/plugin';
import type { AccessTokens } from './platform/auth/tokens';
import { registerErrorHandling, sendError } from './platform/http/errors';
import { registerEtags } from './platform/http/etag';
import { genReqId } from './platform/http/request-id';
import { registerRequestLog } from './platform/http/request-log';
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
    genReqId,
    // Fastify's own request lines are off: platform/http/request-log.ts writes one line per request.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: true,
    }),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 512 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  // 1. External plugins.
  await app.register(cookie, { secret: config.appSecret });
  await app.register(helmet, {
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
  });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (request) => request.ip ?? 'unknown',
    ...(adapters.redis
      ? { redis: adapters.redis, nameSpace: `${config.redis?.prefix ?? 'hanger'}:rl:` }
      : {}),
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
  await app.register(authPlugin, { tokens: deps.tokens, resolve: deps.resolveSession });
  registerErrorHandling(app);
  registerEtags(app);
  registerRequestLog(app);

  // 3. Routes.
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(healthRoutes, { adapters, runtime: config.runtime });
  await app.register(healthRoutes, { adapters, runtime: config.runtime, prefix: API_PREFIX });
  if (adapters.storage instanceof LocalDiskStorage) localStorageRoutes(app, adapters.storage);

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
