import { MemorySessionStore } from '../../src/session/memory.ts';
import { RedisSessionStore } from '../../src/session/redis.ts';
import { SqliteSessionStore } from '../../src/session/sqlite.ts';
import { describeSessionContract, type SessionContractOptions, type SessionFactory } from './session.contract.ts';
import { openRedisPair, redisService } from './redis-fixture.ts';
import { openSqlitePair } from './sqlite-files.ts';

const redis = await redisService();

const drivers: { name: string; factory: SessionFactory; options?: SessionContractOptions }[] = [
  { name: 'memory', factory: async () => ({ store: new MemorySessionStore(), close: async () => {} }) },
  {
    name: 'sqlite',
    factory: async () => {
      const files = openSqlitePair('sessions');
      return { store: new SqliteSessionStore(files.first), second: new SqliteSessionStore(files.second), close: files.close };
    },
  },
  {
    name: 'redis',
    factory: async () => {
      const pair = await openRedisPair();
      return { store: new RedisSessionStore(pair.first, pair.prefix), second: new RedisSessionStore(pair.second, pair.prefix), close: pair.close };
    },
    // Redis expires keys itself: prune() has nothing to do.
    options: { skip: redis.skipReason, expiresByItself: true },
  },
];

for (const driver of drivers) describeSessionContract(driver.name, driver.factory, driver.options);
