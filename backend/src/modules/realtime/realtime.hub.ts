import { wsClientMessage, type WsServerEvent } from '@hanger/contracts';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { PubSub, Unsubscribe } from '../../platform/cache/types';
import { itemChannel, userChannel } from './realtime.publisher';

export interface HubOptions {
  /** Ping every connection this often; one that has not answered the previous ping is dropped. */
  heartbeatMs: number;
  /** A socket with more than this queued and unsent is a slow reader: it is dropped. */
  maxBufferedBytes: number;
  /** Live item subscriptions one socket may hold. */
  maxItemSubscriptions: number;
}

export const defaultHubOptions: HubOptions = {
  heartbeatMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxItemSubscriptions: 50,
};

/** Close codes sent to clients. 4000–4999 are the application's own. */
export const CLOSE_SLOW_READER = 4008;
export const CLOSE_HEARTBEAT = 4002;
/** The session behind the socket ended (logout, password reset, suspension, deletion). */
export const CLOSE_SESSION_ENDED = 4001;
export const CLOSE_SHUTDOWN = 1001;

interface Connection {
  socket: WebSocket;
  userId: string;
  sessionId: string | undefined;
  alive: boolean;
  items: Set<string>;
}

interface Topic {
  connections: Set<Connection>;
  /** Resolves once this instance listens on the channel. */
  ready: Promise<Unsubscribe | undefined>;
}

/**
 * This instance's WebSocket connections. It listens on a pub/sub channel per connected user (and
 * per watched item) only while someone here needs it, and writes each message to the sockets
 * as-is (serialised once by the publisher). Slow readers are dropped rather than buffered.
 */
export class RealtimeHub {
  private readonly topics = new Map<string, Topic>();
  private readonly connections = new Set<Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  readonly options: HubOptions;
  /** Counters for logs, metrics and the benchmark. */
  readonly stats = { delivered: 0, droppedSlow: 0, droppedHeartbeat: 0 };

  constructor(
    private readonly pubsub: PubSub,
    private readonly log: Logger,
    options: Partial<HubOptions> = {},
    /** Events sent to a connection once it is ready (e.g. the current unread count). */
    private readonly greeting: (userId: string) => Promise<WsServerEvent[]> = () =>
      Promise.resolve([]),
    /** Re-checked on every heartbeat: a socket never outlives its session by more than one beat. */
    private readonly isSessionLive: (userId: string, sessionId: string) => Promise<boolean> = () =>
      Promise.resolve(true),
  ) {
    this.options = { ...defaultHubOptions, ...options };
  }

  get size(): number {
    return this.connections.size;
  }

  /** Takes over an upgraded socket of an authenticated user. */
  async attach(socket: WebSocket, userId: string, sessionId?: string): Promise<void> {
    this.ensureHeartbeat();
    const conn: Connection = { socket, userId, sessionId, alive: true, items: new Set() };
    this.connections.add(conn);
    socket.on('pong', () => {
      conn.alive = true;
    });
    socket.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    socket.on('close', () => this.detach(conn));
    socket.on('error', (err) => {
      this.log.debug({ err }, 'websocket error');
      socket.terminate();
    });
    await this.join(userChannel(userId), conn);
    if (socket.readyState !== socket.OPEN) return;
    this.send(conn, { type: 'ready', userId });
    try {
      for (const event of await this.greeting(userId)) this.send(conn, event);
    } catch (err) {
      this.log.warn({ err }, 'could not build the websocket greeting');
    }
  }

  /** Closes every connection (shutdown); clients reconnect to another instance. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const conn of [...this.connections])
      conn.socket.close(CLOSE_SHUTDOWN, 'Server restarting');
    await Promise.all(
      [...this.topics.values()].map(async (t) => (await t.ready.catch(() => undefined))?.()),
    );
    this.topics.clear();
  }

  private send(conn: Connection, event: WsServerEvent) {
    this.write(conn, JSON.stringify(event));
  }

  private write(conn: Connection, raw: string) {
    const { socket } = conn;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.stats.droppedSlow++;
      this.log.info(
        { userId: conn.userId, buffered: socket.bufferedAmount },
        'dropping slow reader',
      );
      socket.terminate();
      return;
    }
    socket.send(raw);
    this.stats.delivered++;
  }

  private onMessage(conn: Connection, data: unknown, isBinary: boolean) {
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(String(data));
    } catch {
      parsed = undefined;
    }
    const result = wsClientMessage.safeParse(parsed);
    if (!result.success) {
      this.send(conn, {
        type: 'error',
        code: 'VALIDATION_FAILED',
        message: 'Expected JSON: {"type":"ping"|"subscribe"|"unsubscribe", ...}',
      });
      return;
    }
    const msg = result.data;
    switch (msg.type) {
      case 'ping':
        this.send(conn, { type: 'pong' });
        return;
      case 'subscribe':
        if (conn.items.has(msg.itemId)) {
          this.send(conn, { type: 'subscribed', itemId: msg.itemId });
          return;
        }
        if (conn.items.size >= this.options.maxItemSubscriptions) {
          this.send(conn, {
            type: 'error',
            code: 'CONFLICT',
            message: `At most ${this.options.maxItemSubscriptions} live items per connection`,
          });
          return;
        }
        conn.items.add(msg.itemId);
        void this.join(itemChannel(msg.itemId), conn).then(() =>
          this.send(conn, { type: 'subscribed', itemId: msg.itemId }),
        );
        return;
      case 'unsubscribe':
        if (conn.items.delete(msg.itemId)) void this.leave(itemChannel(msg.itemId), conn);
        this.send(conn, { type: 'unsubscribed', itemId: msg.itemId });
        return;
    }
  }

  private async join(channel: string, conn: Connection): Promise<void> {
    let topic = this.topics.get(channel);
    if (!topic) {
      const connections = new Set<Connection>();
      const ready = this.pubsub
        .subscribe(channel, (raw) => {
          for (const c of connections) this.write(c, raw);
        })
        .catch((err: unknown) => {
          this.log.warn({ err, channel }, 'realtime subscribe failed');
          return undefined;
        });
      topic = { connections, ready };
      this.topics.set(channel, topic);
    }
    topic.connections.add(conn);
    await topic.ready;
  }

  private async leave(channel: string, conn: Connection): Promise<void> {
    const topic = this.topics.get(channel);
    if (!topic) return;
    topic.connections.delete(conn);
    if (topic.connections.size > 0) return;
    this.topics.delete(channel);
    const unsubscribe = await topic.ready;
    await unsubscribe?.().catch((err: unknown) =>
      this.log.warn({ err, channel }, 'realtime unsubscribe failed'),
    );
  }

  private detach(conn: Connection) {
    if (!this.connections.delete(conn)) return;
    void this.leave(userChannel(conn.userId), conn);
    for (const itemId of conn.items) void this.leave(itemChannel(itemId), conn);
    conn.items.clear();
  }

  private ensureHeartbeat() {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const conn of this.connections) {
        if (!conn.alive) {
          this.stats.droppedHeartbeat++;
          conn.socket.terminate();
          continue;
        }
        conn.alive = false;
        conn.socket.ping();
      }
      void this.closeEndedSessions();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Closes sockets whose session was revoked or expired since they connected. */
  async closeEndedSessions(): Promise<void> {
    const checks = [...this.connections].map(async (conn) => {
      if (!conn.sessionId) return;
      try {
        if (!(await this.isSessionLive(conn.userId, conn.sessionId))) {
          conn.socket.close(CLOSE_SESSION_ENDED, 'Session ended');
        }
      } catch (err) {
        this.log.warn({ err }, 'could not re-check a websocket session');
      }
    });
    await Promise.all(checks);
  }
}
