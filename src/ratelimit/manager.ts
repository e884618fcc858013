import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { RateLimitStore } from './contract.ts';
import { MemoryRateLimitStore } from './memory.ts';
import { RedisRateLimitStore } from './redis.ts';
import { SqliteRateLimitStore } from './sqlite.ts';

/** Picks the rate-limit driver: RATE_LIMIT_STORE, else the cache store's kind. */
export function createRateLimitStore(config: Config, backends: Backends): RateLimitStore {
  switch (config.rateLimitStore) {
    case 'memory':
      return new MemoryRateLimitStore(config.cache.prefix);
    case 'sqlite':
      return new SqliteRateLimitStore(backends.files.open('cache'), config.cache.prefix);
    case 'redis':
      return new RedisRateLimitStore(backends.redis.client, `${config.redis.prefix}ratelimit:`);
  }
}
