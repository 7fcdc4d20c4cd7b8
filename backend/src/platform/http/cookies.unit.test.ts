import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { cookiesPlugin } from './cookies';

async function app() {
  const server = Fastify();
  await server.register(cookiesPlugin);
  server.get('/read', (request) => ({ cookies: request.cookies, again: request.cookies }));
  server.get('/write', (_request, reply) =>
    reply
      .setCookie('a', 'one two', { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 60 })
      .setCookie('b', '2', { path: '/api', secure: true })
      .clearCookie('c', { path: '/x' })
      .send({ ok: true }),
  );
  return server;
}

describe('cookiesPlugin', () => {
  it('parses the Cookie header when read, and gives {} without one', async () => {
    const server = await app();
    const withCookies = await server.inject({ url: '/read', headers: { cookie: 'x=1; y=a%20b' } });
    expect(withCookies.json()).toEqual({
      cookies: { x: '1', y: 'a b' },
      again: { x: '1', y: 'a b' },
    });
    const without = await server.inject({ url: '/read' });
    expect(without.json()).toEqual({ cookies: {}, again: {} });
  });

  it('writes one Set-Cookie header per cookie, and clears with an expired one', async () => {
    const server = await app();
    const res = await server.inject({ url: '/write' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).toEqual([
      'a=one%20two; Max-Age=60; Path=/; HttpOnly; SameSite=Lax',
      'b=2; Path=/api; Secure',
      'c=; Max-Age=0; Path=/x; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ]);
  });
});
