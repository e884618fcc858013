import type { Config } from '../config/config.ts';
import type { DatabaseManager } from '../database/manager.ts';
import type { QueueBackend } from './contract.ts';
import { createDatabaseQueue } from './database.ts';
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
