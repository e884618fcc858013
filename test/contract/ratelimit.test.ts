import { MemoryRateLimitStore } from '../../src/ratelimit/memory.ts';
import { RedisRateLimitStore } from '../../src/ratelimit/redis.ts';
import { SqliteRateLimitStore } from '../../src/ratelimit/sqlite.ts';
import type { ContractOptions } from './fixture.ts';
import { describeRateLimitContract, type RateLimitFactory } from './ratelimit.contract.ts';
import { openRedisPair, redisService } from './redis-fixture.ts';
import { openSqlitePair } from './sqlite-files.ts';

const redis = await redisService();

const PREFIX = 'contract';

const drivers: { name: string; factory: RateLimitFactory; options?: ContractOptions }[] = [
  { name: 'memory', factory: async () => ({ store: new MemoryRateLimitStore(PREFIX), close: async () => {} }) },
  {
    name: 'sqlite',
    factory: async () => {
      const files = openSqlitePair('cache');
      return { store: new SqliteRateLimitStore(files.first, PREFIX), second: new SqliteRateLimitStore(files.second, PREFIX), close: files.close };
    },
  },
  {
    name: 'redis',
    // As the manager: REDIS_PREFIX, then CACHE_PREFIX.
    factory: async () => {
      const pair = await openRedisPair();
      return {
        store: new RedisRateLimitStore(pair.first, `${pair.prefix}${PREFIX}`),
        second: new RedisRateLimitStore(pair.second, `${pair.prefix}${PREFIX}`),
        close: pair.close,
      };
    },
    options: { skip: redis.skipReason },
  },
];

for (const driver of drivers) describeRateLimitContract(driver.name, driver.factory, driver.options);
