// @fastify/rate-limit ships no types for its stores; the one this project builds on (rate-limit-store.ts).
declare module '@fastify/rate-limit/store/RedisStore.js' {
  import type { Redis } from 'ioredis';

  const RedisStore: new (
    continueExceeding: boolean,
    exponentialBackoff: boolean,
    redis: Redis,
    key?: string,
  ) => unknown;
  export default RedisStore;
}
