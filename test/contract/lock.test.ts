import { MemoryLockStore } from '../../src/lock/memory.ts';
import { RedisLockStore } from '../../src/lock/redis.ts';
import { SqliteLockStore } from '../../src/lock/sqlite.ts';
import type { ContractOptions } from './fixture.ts';
import { describeLockContract, type LockFactory } from './lock.contract.ts';
import { openRedisPair, redisService } from './redis-fixture.ts';
import { openSqlitePair } from './sqlite-files.ts';

const redis = await redisService();

const drivers: { name: string; factory: LockFactory; options?: ContractOptions }[] = [
  { name: 'memory', factory: async () => ({ store: new MemoryLockStore(), close: async () => {} }) },
  {
    name: 'sqlite',
    factory: async () => {
      const files = openSqlitePair('cache');
      return { store: new SqliteLockStore(files.first), second: new SqliteLockStore(files.second), close: files.close };
    },
  },
  {
    name: 'redis',
    factory: async () => {
      const pair = await openRedisPair();
      return { store: new RedisLockStore(pair.first, pair.prefix), second: new RedisLockStore(pair.second, pair.prefix), close: pair.close };
    },
    options: { skip: redis.skipReason },
  },
];

for (const driver of drivers) describeLockContract(driver.name, driver.factory, driver.options);
