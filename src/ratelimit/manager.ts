import type { Config } from '../config/config.ts';
import type { EmbeddedFiles } from '../platform/embedded-files.ts';
import type { RateLimitStore } from './contract.ts';
import { MemoryRateLimitStore } from './memory.ts';
import { SqliteRateLimitStore } from './sqlite.ts';

/** Picks the rate-limit driver: RATE_LIMIT_STORE, else the cache store's kind. */
export function createRateLimitStore(config: Config, files: EmbeddedFiles): RateLimitStore {
  switch (config.rateLimitStore) {
    case 'memory':
      return new MemoryRateLimitStore(config.cache.prefix);
    case 'sqlite':
      return new SqliteRateLimitStore(files.open('cache'), config.cache.prefix);
  }
}
