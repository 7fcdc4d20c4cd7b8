import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { parseCookie, stringifySetCookie, type SerializeOptions } from 'cookie';

export type CookieOptions = SerializeOptions;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's cookies, parsed from the `Cookie` header the first time they are read. */
    readonly cookies: Record<string, string | undefined>;
    /** The parsed cookies once read (platform/http/cookies.ts); use `cookies`. */
    parsedCookies: Record<string, string | undefined> | null;
  }
  interface FastifyReply {
    /** Adds a `Set-Cookie` header. */
    setCookie(name: string, value: string, options?: CookieOptions): FastifyReply;
    /** Adds a `Set-Cookie` header that expires the cookie (same path and domain as it was set). */
    clearCookie(name: string, options?: CookieOptions): FastifyReply;
  }
}

/**
 * Cookies without per-request hooks. `request.cookies` parses the header on first read (most API
 * requests never read it: a bearer token or no credential at all), and `reply.setCookie` writes its
 * `Set-Cookie` header at once, so nothing runs on requests that do not use cookies.
 * (@fastify/cookie parses in an `onRequest` hook and serialises in an `onSend` hook: two hooks on
 * every request, which bench:http measured; we use neither signed cookies nor its other options.)
 */
export const cookiesPlugin = fp(
  (app: FastifyInstance, _opts: Record<never, never>, done: (err?: Error) => void) => {
    app.decorateRequest('parsedCookies', null);
    app.decorateRequest('cookies', {
      getter() {
        this.parsedCookies ??= this.headers.cookie ? parseCookie(this.headers.cookie) : {};
        return this.parsedCookies;
      },
    });
    app.decorateReply(
      'setCookie',
      function (this: FastifyReply, name: string, value: string, options?: CookieOptions) {
        // Fastify appends to an existing Set-Cookie header rather than replacing it.
        return this.header('set-cookie', stringifySetCookie({ name, value, ...options }));
      },
    );
    app.decorateReply(
      'clearCookie',
      function (this: FastifyReply, name: string, options?: CookieOptions) {
        return this.setCookie(name, '', {
          path: '/',
          ...options,
          expires: new Date(0),
          maxAge: 0,
        });
      },
    );
    done();
  },
  { name: 'hanger-cookies' },
);
