import { MemoryCacheStore } from '../../src/cache/memory.ts';
import { RedisCacheStore } from '../../src/cache/redis.ts';
import { SqliteCacheStore } from '../../src/cache/sqlite.ts';
import { describeCacheContract, describeLruEviction, type CacheFactory } from './cache.contract.ts';
import type { ContractOptions } from './fixture.ts';
import { openRedisPair, redisService } from './redis-fixture.ts';
import { openSqlitePair } from './sqlite-files.ts';

const redis = await redisService();

// The manager builds stores this way (src/cache/manager.ts): the SQLite prefix is `${CACHE_PREFIX}:`.
const drivers: { name: string; factory: CacheFactory; options?: ContractOptions }[] = [
  {
    name: 'memory',
    // Memory stores share nothing: another prefix is simply another instance.
    factory: async () => ({ store: new MemoryCacheStore(10_000), withPrefix: () => new MemoryCacheStore(10_000), close: async () => {} }),
  },
  {
    name: 'sqlite',
    factory: async ({ prefix }) => {
      const files = openSqlitePair('cache');
      return {
        store: new SqliteCacheStore(files.first, `${prefix}:`),
        second: new SqliteCacheStore(files.second, `${prefix}:`),
        withPrefix: (other) => new SqliteCacheStore(files.first, `${other}:`),
        close: files.close,
      };
    },
  },
  {
    name: 'redis',
    // As the manager: REDIS_PREFIX before every key, flush scoped to `${CACHE_PREFIX}:`.
    factory: async ({ prefix }) => {
      const pair = await openRedisPair();
      return {
        store: new RedisCacheStore(pair.first, pair.prefix, `${prefix}:`),
        second: new RedisCacheStore(pair.second, pair.prefix, `${prefix}:`),
        withPrefix: (other) => new RedisCacheStore(pair.first, pair.prefix, `${other}:`),
        close: pair.close,
      };
    },
    options: { skip: redis.skipReason },
  },
];

for (const driver of drivers) describeCacheContract(driver.name, driver.factory, driver.options);
describeLruEviction('memory', (maxEntries) => new MemoryCacheStore(maxEntries));
