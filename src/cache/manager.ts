import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { CacheStore } from './contract.ts';
import { MemoryCacheStore } from './memory.ts';
import { RedisCacheStore } from './redis.ts';
import { SqliteCacheStore } from './sqlite.ts';

/** Picks the cache driver named by CACHE_STORE. */
export function createCacheStore(config: Config, backends: Backends): CacheStore {
  switch (config.cache.store) {
    case 'memory':
      return new MemoryCacheStore(config.cache.maxEntries);
    case 'sqlite':
      return new SqliteCacheStore(backends.files.open('cache'), `${config.cache.prefix}:`);
    case 'redis':
      // Each port has its own namespace under REDIS_PREFIX (cache:, session:, lock:, ratelimit:), so a flush touches only the cache.
      return new RedisCacheStore(backends.redis.client, `${config.redis.prefix}cache:`, `${config.cache.prefix}:`);
  }
}
