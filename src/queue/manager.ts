import type { Config } from '../config/config.ts';
import type { DatabaseManager } from '../database/manager.ts';
import type { QueueBackend } from './contract.ts';
import type { MigrationSet } from '../database/contract.ts';
import { queueMigrations } from './database-schema.ts';

/**
 * Picks the queue store from QUEUE_CONNECTION: the platform database's jobs table, or Redis (BullMQ opens its own connections: its blocking commands need them).
 * Only that store's module is imported: a node on the database queue never loads bullmq nor ioredis (issue 19).
 */
export async function createQueueBackend(config: Config, databases: DatabaseManager): Promise<QueueBackend> {
  switch (config.queue.connection) {
    case 'database': {
      const { createDatabaseQueue } = await import('./database.ts');
      return createDatabaseQueue(databases.get('platform'), { retryAfterMs: config.queue.retryAfterMs });
    }
    case 'redis': {
      const { createRedisQueue } = await import('./redis.ts');
      return createRedisQueue(config.redis, { retryAfterMs: config.queue.retryAfterMs, wait: config.queue.redisWait });
    }
  }
}

/**
 * The database queue's tables, for the platform database's migrations. Created whatever
 * QUEUE_CONNECTION says, so moving the queue to the database later needs no extra step.
 */
export const databaseQueueMigrations: MigrationSet = queueMigrations;
