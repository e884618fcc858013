import { MemorySessionStore } from '../../src/session/memory.ts';
import { RedisSessionStore } from '../../src/session/redis.ts';
import { SqliteSessionStore } from '../../src/session/sqlite.ts';
import { CachedSessionStore } from '../../src/session/cached.ts';
import { LocalInvalidationBus } from '../../src/invalidation/local.ts';
import { RedisInvalidationBus } from '../../src/invalidation/redis.ts';
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
  // The web role's session store: a driver behind the in-process cache, kept right by the invalidation bus.
  { name: 'memory, cached in process (local bus)', factory: async () => ({ store: new CachedSessionStore(new MemorySessionStore(), new LocalInvalidationBus(true)), close: async () => {} }) },
  {
    name: 'redis, cached in each process (pub/sub bus per connection)',
    factory: async () => {
      const pair = await openRedisPair();
      const buses = [pair.first, pair.second].map((client) => new RedisInvalidationBus(client, () => client.duplicate(), pair.prefix));
      // Live before the first read: the second connection's reads are answered from its memory.
      await Promise.all(buses.map((bus) => bus.listening()));
      return {
        store: new CachedSessionStore(new RedisSessionStore(pair.first, pair.prefix), buses[0]!),
        second: new CachedSessionStore(new RedisSessionStore(pair.second, pair.prefix), buses[1]!),
        close: async () => {
          await Promise.all(buses.map((bus) => bus.close()));
          await pair.close();
        },
      };
    },
    options: { skip: redis.skipReason, expiresByItself: true },
  },
];

for (const driver of drivers) describeSessionContract(driver.name, driver.factory, driver.options);
