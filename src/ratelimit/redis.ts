import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimitRule, RateLimitStore } from './contract.ts';
import { FlexibleRateLimiter, flexibleOptions } from './flexible.ts';

/** Counters on Redis: one limit shared by every web node. */
export class RedisRateLimitStore implements RateLimitStore {
  readonly driver = 'redis';

  constructor(private readonly client: Redis, private readonly prefix: string) {}

  limiter(name: string, rule: RateLimitRule): RateLimiter {
    // Redis keys take any character: keep REDIS_PREFIX as written (`marg:prod.`), so every key stays under it.
    const keyPrefix = `${this.prefix}${name}`;
    return new FlexibleRateLimiter(new RateLimiterRedis({ ...flexibleOptions(this.prefix, name, rule), keyPrefix, storeClient: this.client }), rule);
  }

  async close(): Promise<void> {}
}
