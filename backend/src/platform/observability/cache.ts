import type { Cache } from '../cache/types';
import type { CacheMetrics } from './metrics';

/** The namespace of a key (`search:q:…` → `search`), or `other`: a bounded label value. */
export function cacheNamespace(key: string): string {
  const i = key.indexOf(':');
  return i > 0 && i <= 32 ? key.slice(0, i) : 'other';
}

/**
 * The `Cache` port with hit/miss counting on `get`, by key namespace. Every module gets this one,
 * so cache effectiveness is visible without each module recording it.
 */
export class MeteredCache implements Cache {
  constructor(
    private readonly inner: Cache,
    private readonly metrics: CacheMetrics,
  ) {}

  get kind() {
    return this.inner.kind;
  }

  async get(key: string): Promise<string | null> {
    const value = await this.inner.get(key);
    if (value === null) this.metrics.miss(cacheNamespace(key));
    else this.metrics.hit(cacheNamespace(key));
    return value;
  }

  set(key: string, value: string, ttlMs: number) {
    return this.inner.set(key, value, ttlMs);
  }

  del(...keys: string[]) {
    return this.inner.del(...keys);
  }

  incr(key: string, ttlMs?: number) {
    return this.inner.incr(key, ttlMs);
  }

  ping() {
    return this.inner.ping();
  }

  close() {
    return this.inner.close();
  }
}
