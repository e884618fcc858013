import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { CacheStore } from './contract.ts';

/** Picks the cache driver named by CACHE_STORE; only that driver's module is imported (boot time, issue 19). */
export async function createCacheStore(config: Config, backends: Backends): Promise<CacheStore> {
  switch (config.cache.store) {
    case 'memory': {
      const { MemoryCacheStore } = await import('./memory.ts');
      return new MemoryCacheStore(config.cache.maxEntries);
    }
    case 'sqlite': {
      const { SqliteCacheStore } = await import('./sqlite.ts');
      return new SqliteCacheStore(backends.files.open('cache'), `${config.cache.prefix}:`);
    }
    case 'redis': {
      const [{ RedisCacheStore }, redis] = await Promise.all([import('./redis.ts'), backends.redis()]);
      // Each port has its own namespace under REDIS_PREFIX (cache:, session:, lock:, ratelimit:), so a flush touches only the cache.
      return new RedisCacheStore(redis.client, `${config.redis.prefix}cache:`, `${config.cache.prefix}:`);
    }
  }
}
