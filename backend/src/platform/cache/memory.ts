import { EventEmitter } from 'node:events';
import type { Cache, PubSub, Unsubscribe } from './types';

interface Entry {
  value: string;
  expiresAt: number;
}

/** In-process cache with lazy expiry and a periodic sweep; bounded by `maxEntries` (oldest out). */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly maxEntries = 50_000) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  get(key: string) {
    return Promise.resolve(this.live(key)?.value ?? null);
  }

  set(key: string, value: string, ttlMs: number) {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return Promise.resolve();
  }

  del(...keys: string[]) {
    for (const k of keys) this.entries.delete(k);
    return Promise.resolve();
  }

  incr(key: string, ttlMs?: number) {
    const e = this.live(key);
    const value = Number(e?.value ?? 0) + 1;
    this.entries.set(key, {
      value: String(value),
      expiresAt: e?.expiresAt ?? (ttlMs ? Date.now() + ttlMs : Number.POSITIVE_INFINITY),
    });
    return Promise.resolve(value);
  }

  ping() {
    return Promise.resolve();
  }

  close() {
    clearInterval(this.sweeper);
    this.entries.clear();
    return Promise.resolve();
  }

  private sweep() {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}

/** In-process pub/sub: what Redis pub/sub does across processes, within one. */
export class MemoryPubSub implements PubSub {
  readonly kind = 'memory' as const;
  private readonly bus = new EventEmitter().setMaxListeners(0);

  publish(channel: string, message: string) {
    // Deliver asynchronously, like a broker would, so publishers never run subscriber code inline.
    queueMicrotask(() => this.bus.emit(channel, message));
    return Promise.resolve();
  }

  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    this.bus.on(channel, handler);
    return Promise.resolve(() => {
      this.bus.off(channel, handler);
      return Promise.resolve();
    });
  }

  close() {
    this.bus.removeAllListeners();
    return Promise.resolve();
  }
}
