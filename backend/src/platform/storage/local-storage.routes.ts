import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors';
import type { LocalDiskStorage, SignedParams } from './local';
import { PUBLIC_PREFIX } from './types';

const signedQuery = z.object({
  expires: z.coerce.number().int().positive(),
  signature: z.string().min(1).max(200),
  contentType: z.string().max(200).optional(),
  contentLength: z.coerce.number().int().min(0).optional(),
});

/** The largest object the local store accepts in one PUT (uploads are limited lower by the API). */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

function keyOf(request: FastifyRequest): string {
  // Fastify has already decoded the wildcard once; a second decode would turn "%25" into "%" and
  // throw on it. Keys never contain "%" (assertValidKey), so the decoded form is the key.
  return (request.params as { '*': string })['*'];
}

function checkSignature(storage: LocalDiskStorage, params: SignedParams, signature: string) {
  const verdict = storage.verify(params, signature);
  if (verdict === 'expired')
    throw new AppError('FORBIDDEN', 'This URL has expired', { reason: 'EXPIRED' });
  if (verdict === 'bad-signature') {
    throw new AppError('FORBIDDEN', 'The URL signature does not match', { reason: 'SIGNATURE' });
  }
}

function validKey(storage: LocalDiskStorage, key: string): string {
  try {
    return storage.filePath(key);
  } catch {
    throw new AppError('NOT_FOUND', 'No such object');
  }
}

/**
 * The local-disk store's HTTP face, speaking the presigned-URL protocol like S3: PUT and GET on
 * `/api/v1/storage/<key>` with a signed query, and `/media/<key>` serving public keys (the embedded
 * runtime's CDN origin) with immutable caching.
 */
export function localStorageRoutes(app: FastifyInstance, storage: LocalDiskStorage) {
  app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, next) => next(null));

    scope.put(
      '/api/v1/storage/*',
      // The URL's signature authorises the write; the browser's session cookie is irrelevant.
      { schema: { hide: true }, bodyLimit: MAX_OBJECT_BYTES, config: { csrf: false } },
      async (request, reply) => {
        const key = keyOf(request);
        const q = signedQuery.safeParse(request.query);
        if (!q.success) throw new AppError('FORBIDDEN', 'Missing or malformed URL signature');
        const { expires, signature, contentType, contentLength } = q.data;
        checkSignature(
          storage,
          { method: 'PUT', key, expires, contentType, contentLength },
          signature,
        );
        validKey(storage, key);
        const sentType = request.headers['content-type'] ?? '';
        if (contentType !== undefined && sentType !== contentType) {
          throw new AppError('FORBIDDEN', 'Content-Type does not match the signed type', {
            reason: 'SIGNED_HEADER',
          });
        }
        const declared = Number(request.headers['content-length']);
        if (contentLength !== undefined && declared !== contentLength) {
          throw new AppError('FORBIDDEN', 'Content-Length does not match the signed length', {
            reason: 'SIGNED_HEADER',
          });
        }
        const limit = contentLength ?? MAX_OBJECT_BYTES;
        const size = await storage.commit(key, limited(request.raw, limit), {
          contentType: sentType || undefined,
          cacheControl: undefined,
        });
        request.log.debug({ key, size }, 'object stored');
        return reply.status(200).header('etag', `"${size}-${expires}"`).send();
      },
    );
    done();
  });

  app.get('/api/v1/storage/*', { schema: { hide: true } }, async (request, reply) => {
    const key = keyOf(request);
    const q = signedQuery.safeParse(request.query);
    if (!q.success) throw new AppError('FORBIDDEN', 'Missing or malformed URL signature');
    checkSignature(storage, { method: 'GET', key, expires: q.data.expires }, q.data.signature);
    return serve(storage, key, reply, 'private, max-age=300');
  });

  app.get(
    '/media/*',
    { schema: { hide: true }, config: { rateLimit: false } },
    async (request, reply) => {
      const key = keyOf(request);
      if (!key.startsWith(PUBLIC_PREFIX)) throw new AppError('NOT_FOUND', 'No such object');
      return serve(storage, key, reply, 'public, max-age=31536000, immutable');
    },
  );
}

async function serve(storage: LocalDiskStorage, key: string, reply: FastifyReply, cache: string) {
  const file = validKey(storage, key);
  const meta = await storage.readMeta(key);
  if (!meta) throw new AppError('NOT_FOUND', 'No such object');
  return reply
    .header('content-type', meta.contentType ?? 'application/octet-stream')
    .header('content-length', meta.size)
    .header('cache-control', meta.cacheControl ?? cache)
    .header('x-content-type-options', 'nosniff')
    .send(createReadStream(file));
}

/** Passes the stream through, failing once more than `max` bytes have arrived. */
async function* limited(stream: AsyncIterable<Uint8Array>, max: number): AsyncIterable<Uint8Array> {
  let seen = 0;
  for await (const chunk of stream) {
    seen += chunk.length;
    if (seen > max) throw new AppError('PAYLOAD_TOO_LARGE', 'The body is larger than was signed');
    yield chunk;
  }
}
