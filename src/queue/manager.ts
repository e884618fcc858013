import type { Config } from '../config/config.ts';
import type { DatabaseManager } from '../database/manager.ts';
import type { QueueBackend } from './contract.ts';
import type { MigrationSet } from '../database/contract.ts';
import { createDatabaseQueue } from './database.ts';
import { queueMigrations } from './database-schema.ts';
import { createRedisQueue } from './redis.ts';

/** Picks the queue store from QUEUE_CONNECTION: the platform database's jobs table, or Redis (BullMQ opens its own connections: its blocking commands need them). */
export function createQueueBackend(config: Config, databases: DatabaseManager): QueueBackend {
  switch (config.queue.connection) {
    case 'database':
      return createDatabaseQueue(databases.get('platform'), { retryAfterMs: config.queue.retryAfterMs });
    case 'redis':
      return createRedisQueue(config.redis, { retryAfterMs: config.queue.retryAfterMs });
  }
}

/**
 * The database queue's tables, for the platform database's migrations. Created whatever
 * QUEUE_CONNECTION says, so moving the queue to the database later needs no extra step.
 */
export const databaseQueueMigrations: MigrationSet = queueMigrations;
