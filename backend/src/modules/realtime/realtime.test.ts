import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type TestApp } from '../../../test/app';
import { createUser, type TestUser } from '../../../test/users';

const services = process.env.HANGER_TEST_RUNTIME === 'services';

interface Client {
  ws: WebSocket;
  events: { type: string; [k: string]: unknown }[];
  next(type: string, timeoutMs?: number): Promise<{ type: string; [k: string]: unknown }>;
  closed: Promise<number>;
}

function wsUrl(t: TestApp, query = '') {
  const { port } = t.app.server.address() as AddressInfo;
  return `ws://127.0.0.1:${port}/api/v1/ws${query}`;
}

/** Opens a socket; resolves once the server says it is ready, rejects with the HTTP status. */
function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const events: Client['events'] = [];
    const waiters: { type: string; resolve: (e: Client['events'][number]) => void }[] = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const client: Client = {
      ws,
      events,
      closed,
      next(type, timeoutMs = 5_000) {
        const seen = events.findIndex((e) => e.type === type);
        if (seen >= 0) return Promise.resolve(events.splice(seen, 1)[0]!);
        return new Promise((res, rej) => {
          const timer = setTimeout(
            () => rej(new Error(`no ${type} within ${timeoutMs} ms`)),
            timeoutMs,
          );
          waiters.push({
            type,
            resolve: (e) => {
              clearTimeout(timer);
              res(e);
            },
          });
        });
      },
    };
    ws.on('message', (raw) => {
      const event = JSON.parse((raw as Buffer).toString('utf8'));
      const i = waiters.findIndex((w) => w.type === event.type);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(event);
      else events.push(event);
      if (event.type === 'ready') resolve(client);
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('realtime channel (WebSocket)', () => {
  let t: TestApp;
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: user?.headers });
  const bearer = (u: TestUser) => ({ authorization: `Bearer ${u.accessToken}` });

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('refuses the upgrade without valid credentials, before any socket exists', async () => {
    await expect(connect(wsUrl(t))).rejects.toThrow('HTTP 401');
    await expect(connect(wsUrl(t), { authorization: 'Bearer nonsense' })).rejects.toThrow(
      'HTTP 401',
    );
    await expect(connect(wsUrl(t, '?ticket=forged-ticket-forged-ticket-forged'))).rejects.toThrow(
      'HTTP 401',
    );
    expect(t.runtime.services.realtime.hub.size).toBe(0);
  });

  it('accepts a cookie session only from the public origin', async () => {
    const ana = await createUser(t);
    const cookie = `${t.runtime.services.cookies.access}=${ana.accessToken}`;
    await expect(connect(wsUrl(t), { cookie, origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    await expect(connect(wsUrl(t), { cookie })).rejects.toThrow('HTTP 403');
    const ok = await connect(wsUrl(t), { cookie, origin: 'http://localhost:3000' });
    ok.ws.close();
  });

  it('opens with a single-use ticket; a replayed ticket is refused', async () => {
    const ana = await createUser(t);
    const res = await api('POST', '/ws/ticket', ana);
    expect(res.statusCode).toBe(201);
    const { ticket, expiresAt } = res.json().data;
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const client = await connect(wsUrl(t, `?ticket=${encodeURIComponent(ticket)}`));
    expect(client.events.length).toBeGreaterThanOrEqual(0);
    await expect(connect(wsUrl(t, `?ticket=${encodeURIComponent(ticket)}`))).rejects.toThrow(
      'HTTP 401',
    );
    expect((await api('POST', '/ws/ticket')).statusCode).toBe(401);
    client.ws.close();
  });

  it('closes a socket once its session has ended (logout elsewhere)', async () => {
    const ana = await createUser(t);
    const client = await connect(wsUrl(t), bearer(ana));
    expect((await api('POST', '/auth/logout', ana)).statusCode).toBe(204);
    // What every heartbeat does; called directly so the test needn't wait 30 s.
    await t.runtime.services.realtime.hub.closeEndedSessions();
    expect(await client.closed).toBe(4001);
  });

  it('greets with the unread count and delivers notifications live', async () => {
    const [ana, ben] = [await createUser(t), await createUser(t)];
    const client = await connect(wsUrl(t), bearer(ben));
    expect(await client.next('notification.unread_count')).toEqual({
      type: 'notification.unread_count',
      count: 0,
    });
    await api('POST', `/users/${ben.username}/follow`, ana);
    const created = await client.next('notification.created');
    expect(created.notification).toMatchObject({
      type: 'follow.created',
      actorCount: 1,
      read: false,
    });
    expect(await client.next('notification.unread_count')).toMatchObject({ count: 1 });
    // Marking read elsewhere updates the badge on this connection.
    await api('POST', '/notifications/read-all', ben);
    expect(await client.next('notification.unread_count')).toMatchObject({ count: 0 });
    client.ws.close();
  });

  it('answers ping, validates messages, and closes on frames over 16 KB', async () => {
    const ana = await createUser(t);
    const client = await connect(wsUrl(t), bearer(ana));
    client.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await client.next('pong')).toEqual({ type: 'pong' });
    client.ws.send('not json');
    expect(await client.next('error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.ws.send(JSON.stringify({ type: 'subscribe', itemId: 'nope' }));
    expect(await client.next('error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(17 * 1024) }));
    expect(await client.closed).toBe(1009);
  });

  it('delivers live item updates to subscribers only', async () => {
    const ana = await createUser(t);
    const itemId = '01890000-0000-7000-8000-0000000000aa';
    const client = await connect(wsUrl(t), bearer(ana));
    client.ws.send(JSON.stringify({ type: 'subscribe', itemId }));
    expect(await client.next('subscribed')).toEqual({ type: 'subscribed', itemId });
    await t.runtime.services.realtime.publisher.toItem(itemId, {
      type: 'item.updated',
      itemId,
      changes: { status: 'reserved' },
    });
    expect(await client.next('item.updated')).toMatchObject({ changes: { status: 'reserved' } });
    client.ws.send(JSON.stringify({ type: 'unsubscribe', itemId }));
    await client.next('unsubscribed');
    await t.runtime.services.realtime.publisher.toItem(itemId, {
      type: 'item.updated',
      itemId,
      changes: { status: 'sold' },
    });
    await expect(client.next('item.updated', 300)).rejects.toThrow();
    client.ws.close();
  });

  it('drops a slow reader instead of buffering without bound', async () => {
    const hub = t.runtime.services.realtime.hub;
    const limit = hub.options.maxBufferedBytes;
    hub.options.maxBufferedBytes = 64 * 1024;
    try {
      const [slow, fast] = [await createUser(t), await createUser(t)];
      const slowClient = await connect(wsUrl(t), bearer(slow));
      const fastClient = await connect(wsUrl(t), bearer(fast));
      // Stop reading: the kernel buffers fill, then the server's queue grows.
      (slowClient.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const before = hub.stats.droppedSlow;
      const pad = 'x'.repeat(8 * 1024);
      const publisher = t.runtime.services.realtime.publisher;
      for (let i = 0; i < 2_000 && hub.stats.droppedSlow === before; i++) {
        await publisher.toUser(slow.id, {
          type: 'item.updated',
          itemId: '01890000-0000-7000-8000-0000000000bb',
          changes: { pad },
        });
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(hub.stats.droppedSlow).toBe(before + 1);
      // The healthy connection is unaffected.
      fastClient.ws.send(JSON.stringify({ type: 'ping' }));
      expect(await fastClient.next('pong')).toEqual({ type: 'pong' });
      fastClient.ws.close();
      slowClient.ws.terminate();
    } finally {
      hub.options.maxBufferedBytes = limit;
    }
  });

  // Services mode only: two instances share Redis pub/sub. Embedded instances each hold their own
  // in-process bus, so there is no second instance to cross to (CI runs this in services mode).
  it.skipIf(!services)(
    'delivers a notification created via instance A to a socket on instance B',
    async () => {
      const b = await createTestApp({ shareWith: t, worker: false });
      try {
        await b.app.listen({ port: 0, host: '127.0.0.1' });
        const [ana, ben] = [await createUser(t), await createUser(t)];
        const client = await connect(wsUrl(b), bearer(ben));
        await api('POST', `/users/${ben.username}/follow`, ana);
        const created = await client.next('notification.created', 10_000);
        expect(created.notification).toMatchObject({ type: 'follow.created' });
        expect(t.runtime.services.realtime.hub.size).toBe(0);
        client.ws.close();
      } finally {
        await b.close();
      }
    },
  );
});
