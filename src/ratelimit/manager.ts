import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { RateLimitStore } from './contract.ts';

/** Picks the rate-limit driver: RATE_LIMIT_STORE, else the cache store's kind; only that driver's module is imported. */
export async function createRateLimitStore(config: Config, backends: Backends): Promise<RateLimitStore> {
  switch (config.rateLimitStore) {
    case 'memory': {
      const { MemoryRateLimitStore } = await import('./memory.ts');
      return new MemoryRateLimitStore(config.cache.prefix);
    }
    case 'sqlite': {
      const { SqliteRateLimitStore } = await import('./sqlite.ts');
      return new SqliteRateLimitStore(backends.files.open('cache'), config.cache.prefix);
    }
    case 'redis': {
      const [{ RedisRateLimitStore }, redis] = await Promise.all([import('./redis.ts'), backends.redis()]);
      return new RedisRateLimitStore(redis.client, `${config.redis.prefix}ratelimit:`);
    }
  }
}
