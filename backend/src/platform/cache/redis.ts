import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Cache, PubSub, Unsubscribe } from './types';

export function createRedis(url: string, log: Logger, name: string): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 3,
    connectionName: name,
  });
  client.on('error', (err) => log.warn({ err, client: name }, 'redis connection error'));
  return client;
}

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;

  constructor(
    readonly client: Redis,
    private readonly prefix: string,
  ) {}

  private k(key: string) {
    return `${this.prefix}:c:${key}`;
  }

  get(key: string) {
    return this.client.get(this.k(key));
  }

  async set(key: string, value: string, ttlMs: number) {
    await this.client.set(this.k(key), value, 'PX', ttlMs);
  }

  async del(...keys: string[]) {
    if (keys.length > 0) await this.client.del(...keys.map((k) => this.k(k)));
  }

  async incr(key: string, ttlMs?: number) {
    const full = this.k(key);
    const tx = this.client.multi();
    // Create with the TTL only if absent, then count: one atomic round trip.
    if (ttlMs) tx.set(full, '0', 'PX', ttlMs, 'NX');
    tx.incr(full);
    const results = (await tx.exec()) ?? [];
    const last = results[results.length - 1];
    if (!last || last[0]) throw last?.[0] ?? new Error('redis INCR failed');
    return Number(last[1]);
  }

  async ping() {
    await this.client.ping();
  }

  async close() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Redis pub/sub: one connection publishes, a dedicated one subscribes (Redis requires it). */
export class RedisPubSub implements PubSub {
  readonly kind = 'redis' as const;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
  ) {
    this.sub.on('message', (channel: string, message: string) => {
      const name = channel.slice(this.prefix.length + 3);
      for (const h of this.handlers.get(name) ?? []) h(message);
    });
  }

  private ch(channel: string) {
    return `${this.prefix}:p:${channel}`;
  }

  async publish(channel: string, message: string) {
    await this.pub.publish(this.ch(channel), message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.sub.subscribe(this.ch(channel));
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.sub.unsubscribe(this.ch(channel));
      }
    };
  }

  async close() {
    this.handlers.clear();
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
