import { migrateToLatest } from '../../src/database/migrator.ts';
import { createDatabaseQueue } from '../../src/queue/database.ts';
import { queueMigrations } from '../../src/queue/database-schema.ts';
import { createRedisQueue } from '../../src/queue/redis.ts';
import { RedisConnections } from '../../src/redis/connection.ts';
import { serverDatabase, serverService, sqliteDatabase, type DatabaseFactory } from './database.fixture.ts';
import type { ContractOptions } from './fixture.ts';
import { describeQueueContract, type QueueFactory } from './queue.contract.ts';
import { deleteKeys, redisService, redisSettings } from './redis-fixture.ts';

const [mysql, pgsql, redis] = await Promise.all([serverService('mysql'), serverService('pgsql'), redisService()]);

/** The database driver on a fresh, migrated database, through two connections (two "nodes"). */
function onDatabase(open: DatabaseFactory): QueueFactory {
  return async ({ retryAfterMs }) => {
    const fixture = await open();
    const first = fixture.open();
    const outcome = await migrateToLatest(first, queueMigrations);
    if (outcome.error) throw outcome.error;
    const store = createDatabaseQueue(first, { retryAfterMs });
    const second = createDatabaseQueue(fixture.open(), { retryAfterMs });
    return {
      store,
      second,
      async close() {
        await Promise.all([store.close(), second.close()]);
        await fixture.close();
      },
    };
  };
}

/** The Redis (BullMQ) driver under a fresh key prefix, as two "nodes"; every key under the prefix is deleted after. */
const onRedis: QueueFactory = async ({ retryAfterMs }) => {
  const settings = redisSettings();
  const store = createRedisQueue(settings, { retryAfterMs });
  const second = createRedisQueue(settings, { retryAfterMs });
  return {
    store,
    second,
    async close() {
      await Promise.all([store.close(), second.close()]);
      const cleanup = new RedisConnections(settings);
      try {
        await deleteKeys(cleanup.client, settings.prefix);
      } finally {
        await cleanup.close();
      }
    },
  };
};

const drivers: { name: string; factory: QueueFactory; options?: ContractOptions }[] = [
  { name: 'database (sqlite)', factory: onDatabase(sqliteDatabase) },
  { name: 'database (mysql/MariaDB)', factory: onDatabase(() => serverDatabase('mysql')), options: { skip: mysql.skipReason } },
  { name: 'database (pgsql)', factory: onDatabase(() => serverDatabase('pgsql')), options: { skip: pgsql.skipReason } },
  { name: 'redis (BullMQ)', factory: onRedis, options: { skip: redis.skipReason } },
];

for (const driver of drivers) describeQueueContract(driver.name, driver.factory, driver.options);
