import type { Config } from '../config/config.ts';
import type { EmbeddedFiles } from '../platform/embedded-files.ts';
import type { CacheStore } from './contract.ts';
import { MemoryCacheStore } from './memory.ts';
import { SqliteCacheStore } from './sqlite.ts';

/** Picks the cache driver named by CACHE_STORE. */
export function createCacheStore(config: Config, files: EmbeddedFiles): CacheStore {
  switch (config.cache.store) {
    case 'memory':
      return new MemoryCacheStore(config.cache.maxEntries);
    case 'sqlite':
      return new SqliteCacheStore(files.open('cache'), `${config.cache.prefix}:`);
  }
}
