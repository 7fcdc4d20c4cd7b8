/** Key/value cache with TTLs and counters. Embedded: in-process. Services: Redis. */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** Atomically increments and returns the new value; sets the TTL when the key is created. */
  incr(key: string, ttlMs?: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;

/** Fan-out of messages to every process (Redis pub/sub) or within this one (embedded). */
export interface PubSub {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}
