import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type TestApp } from '../../../test/app';
import { captureLogs } from '../../../test/logs';
import { find } from '../../../test/prometheus';
import { issueTicket, openUntilFirstMessage } from '../../../test/sockets';
import { createUser } from '../../../test/users';

/** The value of each sample of `name` in a Prometheus text whose labels include `labels`. */
const values = (text: string, name: string, labels: Record<string, string> = {}) =>
  find(text, name, labels).map((s) => s.value);

describe('requests that end without a response sent through Fastify', () => {
  const logs = captureLogs();
  let t: TestApp;
  let port = 0;
  /** The held route's requests that reached its handler, by `:n`: each answers when released. */
  const held = new Map<string, () => void>();
  /** `:n` of the late route's requests that have answered, each once its connection was destroyed. */
  const answeredLate: string[] = [];
  const WAIT = { timeout: 5_000 };

  beforeAll(async () => {
    t = await createTestApp({
      env: { LOG_LEVEL: 'info' },
      logStream: logs.stream,
      routes: (app) => {
        app.get('/api/v1/_test/held/:n', async (request) => {
          const { n } = request.params as { n: string };
          await new Promise<void>((resolve) => held.set(n, resolve));
          return { data: 'late' };
        });
        // Answers in the window between its connection's destruction and its 'close' event.
        app.get('/api/v1/_test/late/:n', (request) => {
          const { n } = request.params as { n: string };
          const connection = request.raw.socket;
          return new Promise((resolve) => {
            const poll = () => {
              if (!connection.destroyed) return void setImmediate(poll);
              answeredLate.push(n);
              resolve({ data: 'late' });
            };
            poll();
          });
        });
        app.get('/api/v1/_test/quick/:n', () => ({ data: 'ok' }));
      },
    });
    port = Number(new URL(await t.app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  afterAll(async () => {
    for (const release of held.values()) release();
    await t?.close();
  });

  const scrape = async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  };
  /** Request lines of a route template, in the order written. */
  const linesOf = (route: string) =>
    logs.lines().filter((l) => l.msg === 'request' && l.route === route);
  /** The request line of a URL. */
  const lineOf = (url: string) => logs.lines().find((l) => l.msg === 'request' && l.url === url);
  /** A raw connection, for requests whose client goes away. */
  const connect = () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {}); // destroyed on purpose
    return socket;
  };

  it('counts, logs and times a request whose client went away as 499', async () => {
    const socket = connect();
    try {
      socket.write('GET /api/v1/_test/held/1 HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await vi.waitFor(() => expect(held.has('1')).toBe(true), WAIT);
      await new Promise((resolve) => setTimeout(resolve, 30));
      socket.destroy();
      await vi.waitFor(() => expect(lineOf('/api/v1/_test/held/1')).toBeDefined(), WAIT);
    } finally {
      socket.destroy();
    }
    const line = lineOf('/api/v1/_test/held/1');
    expect(line).toMatchObject({ method: 'GET', url: '/api/v1/_test/held/1', status: 499 });
    // Timed until the client went away, not recorded as 0.
    expect(line!.durationMs).toBeGreaterThanOrEqual(20);
    const text = await scrape();
    const labels = { route: '/api/v1/_test/held/:n', status_code: '499' };
    expect(values(text, 'hanger_http_request_duration_seconds_count', labels)).toEqual([1]);
    expect(values(text, 'hanger_http_request_duration_seconds_sum', labels)[0]).toBeGreaterThan(
      0.02,
    );
    // The scrape itself is the one request in flight.
    expect(values(text, 'hanger_http_requests_in_flight')).toEqual([1]);

    // Its handler's late answer, which goes nowhere, counts and logs nothing more.
    held.get('1')!();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(linesOf('/api/v1/_test/held/:n')).toHaveLength(1);
    expect(
      values(await scrape(), 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/_test/held/:n',
      }),
    ).toEqual([1]);
  });

  it('ends every pipelined request still unanswered when their connection closes', async () => {
    const socket = connect();
    try {
      // The second is read while the first is held; its answer waits behind the first's.
      socket.write(
        'GET /api/v1/_test/held/2 HTTP/1.1\r\nHost: localhost\r\n\r\n' +
          'GET /api/v1/_test/quick/2 HTTP/1.1\r\nHost: localhost\r\n\r\n',
      );
      await vi.waitFor(() => expect(held.has('2')).toBe(true), WAIT);
      await vi.waitFor(
        async () =>
          expect(
            values(await scrape(), 'hanger_http_requests_in_flight'),
            'both pipelined requests read, and the scrape',
          ).toEqual([3]),
        WAIT,
      );
      socket.destroy();
      await vi.waitFor(() => expect(lineOf('/api/v1/_test/quick/2')).toBeDefined(), WAIT);
      await vi.waitFor(() => expect(lineOf('/api/v1/_test/held/2')).toBeDefined(), WAIT);
    } finally {
      socket.destroy();
      held.get('2')?.();
    }
    expect(lineOf('/api/v1/_test/quick/2')).toMatchObject({ status: 499 });
    expect(lineOf('/api/v1/_test/held/2')).toMatchObject({ status: 499 });
    const text = await scrape();
    expect(
      values(text, 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/_test/quick/:n',
        status_code: '499',
      }),
    ).toEqual([1]);
    expect(values(text, 'hanger_http_requests_in_flight')).toEqual([1]);
  });

  it('ends a request answered after its connection was destroyed, before its close event', async () => {
    // Its response's bytes are dropped and no 'finish' comes, though the response reads as
    // finished (writableFinished): it must still end, as 499.
    const socket = connect();
    try {
      socket.write('GET /api/v1/_test/late/3 HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await vi.waitFor(
        async () => expect(values(await scrape(), 'hanger_http_requests_in_flight')).toEqual([2]),
        WAIT,
      );
      socket.destroy();
      await vi.waitFor(() => expect(answeredLate).toContain('3'), WAIT);
      await vi.waitFor(() => expect(lineOf('/api/v1/_test/late/3')).toBeDefined(), WAIT);
    } finally {
      socket.destroy();
    }
    expect(lineOf('/api/v1/_test/late/3')).toMatchObject({ status: 499 });
    const text = await scrape();
    expect(
      values(text, 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/_test/late/:n',
      }),
    ).toEqual([1]);
    expect(values(text, 'hanger_http_requests_in_flight')).toEqual([1]);
  });

  it('ends nothing early on a keep-alive connection whose requests were all answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (n: number) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ port, host: '127.0.0.1', path: `/api/v1/_test/quick/ka${n}`, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
    const sockets = new Set<net.Socket>();
    agent.on('free', (socket: net.Socket) => sockets.add(socket));
    for (const n of [1, 2, 3]) expect(await get(n)).toBe(200);
    expect(sockets.size).toBe(1); // one connection served all three
    const closed = new Promise((resolve) => [...sockets][0]!.on('close', resolve));
    agent.destroy();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = logs.lines().filter((l) => /\/quick\/ka\d$/.test(String(l.url)));
    expect(lines.map((l) => l.status)).toEqual([200, 200, 200]);
    expect(
      values(await scrape(), 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/_test/quick/:n',
        status_code: '200',
      }),
    ).toEqual([3]);
  });

  it('counts and logs a WebSocket upgrade as 101 once the handshake is answered', async () => {
    const user = await createUser(t);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    try {
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
      });
      const text = await scrape();
      expect(
        values(text, 'hanger_http_request_duration_seconds_count', {
          method: 'GET',
          route: '/api/v1/ws',
          status_code: '101',
        }),
      ).toEqual([1]);
      // The open connection is not a request in flight: only the scrape is.
      expect(values(text, 'hanger_http_requests_in_flight')).toEqual([1]);
      expect(linesOf('/api/v1/ws')).toEqual([
        expect.objectContaining({ status: 101, userId: user.id, durationMs: expect.any(Number) }),
      ]);
    } finally {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      await closed;
    }
    // Its connection closing ends nothing more.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(linesOf('/api/v1/ws')).toHaveLength(1);
    expect(values(await scrape(), 'hanger_http_requests_in_flight')).toEqual([1]);
  });

  it("logs an upgrade opened with a ticket under the ticket's user", async () => {
    const user = await createUser(t);
    const ticket = await issueTicket(t, user);
    const before = linesOf('/api/v1/ws').length;
    await openUntilFirstMessage(
      `ws://127.0.0.1:${port}/api/v1/ws?ticket=${ticket}`,
      {},
      async () => {
        await vi.waitFor(() => expect(linesOf('/api/v1/ws')).toHaveLength(before + 1), WAIT);
        expect(linesOf('/api/v1/ws').at(-1)).toMatchObject({ status: 101, userId: user.id });
      },
    );
  });

  it('answers, counts and logs a handshake that ws refuses as 400, not as a client gone', async () => {
    const user = await createUser(t);
    const before = linesOf('/api/v1/ws').length;
    const socket = connect();
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    // Authorised, but its Sec-WebSocket-Key is not 16 bytes of base64.
    socket.write(
      'GET /api/v1/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n' +
        'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n' +
        `Authorization: Bearer ${user.accessToken}\r\n\r\n`,
    );
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('\r\nSec-WebSocket-Version: 13, 8\r\n');
    expect(text).toMatch(/\r\n\r\nMissing or invalid Sec-WebSocket-Key header$/);
    await vi.waitFor(() => expect(linesOf('/api/v1/ws')).toHaveLength(before + 1), WAIT);
    expect(linesOf('/api/v1/ws').at(-1)).toMatchObject({ status: 400, userId: user.id });
    const metrics = await scrape();
    expect(
      values(metrics, 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/ws',
        status_code: '400',
      }),
    ).toEqual([1]);
    expect(
      values(metrics, 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/ws',
        status_code: '499',
      }),
    ).toEqual([]);
    // The scrape itself is the one request in flight.
    expect(values(metrics, 'hanger_http_requests_in_flight')).toEqual([1]);
  });

  it('counts and logs a refused upgrade with the status of its answer', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => {});
    });
    expect(status).toBe(401);
    await vi.waitFor(() => expect(linesOf('/api/v1/ws').map((l) => l.status)).toContain(401));
    expect(
      values(await scrape(), 'hanger_http_request_duration_seconds_count', {
        route: '/api/v1/ws',
        status_code: '401',
      }),
    ).toEqual([1]);
  });
});
