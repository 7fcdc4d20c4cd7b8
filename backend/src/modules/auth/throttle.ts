import { AppError } from '../../platform/errors';
import type { Cache } from '../../platform/cache/types';

export interface BackoffRule {
  /** Failures allowed before any delay applies. */
  free: number;
  /** Window after the last failure in which failures are remembered. */
  windowMs: number;
  /** Longest delay a run of failures can cause. */
  maxDelayMs: number;
}

/**
 * Exponential back-off on failures (login): after `free` failures each further failure doubles the
 * wait before the next attempt (1 s, 2 s, 4 s … capped), and everything is forgotten `windowMs`
 * after the last failure. Never a hard lock: an attacker can slow a key down, never close it.
 */
export class Backoff {
  constructor(
    private readonly cache: Cache,
    private readonly rule: BackoffRule,
  ) {}

  async check(key: string): Promise<void> {
    const until = Number(await this.cache.get(`bo:until:${key}`));
    const wait = until - Date.now();
    if (wait > 0) {
      throw new AppError('RATE_LIMITED', 'Too many attempts; try again shortly', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
  }

  async fail(key: string): Promise<void> {
    const n = await this.cache.incr(`bo:n:${key}`, this.rule.windowMs);
    if (n > this.rule.free) {
      const delay = Math.min(1000 * 2 ** (n - this.rule.free - 1), this.rule.maxDelayMs);
      await this.cache.set(`bo:until:${key}`, String(Date.now() + delay), delay);
    }
  }

  async reset(key: string): Promise<void> {
    await this.cache.del(`bo:n:${key}`, `bo:until:${key}`);
  }
}

/** A fixed-window quota (register, forgot, reset, verify): `max` per `windowMs` per key. */
export async function quota(cache: Cache, key: string, max: number, windowMs: number) {
  const n = await cache.incr(`q:${key}`, windowMs);
  if (n > max) {
    throw new AppError('RATE_LIMITED', 'Too many requests; try again later', {
      retryAfterSeconds: Math.ceil(windowMs / 1000),
    });
  }
}
