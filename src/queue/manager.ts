import type { Config } from '../config/config.ts';
import type { DatabaseManager } from '../database/manager.ts';
import type { QueueDriver } from './contract.ts';
import { DatabaseQueueDriver } from './database.ts';
import { RedisQueueDriver } from './redis.ts';

/** BullMQ opens its own Redis connections (its blocking commands need them). Picks the queue driver from QUEUE_CONNECTION: the platform database's jobs table, or Redis (BullMQ). */
export function createQueueDriver(config: Config, databases: DatabaseManager): QueueDriver {
  switch (config.queue.connection) {
    case 'database':
      return new DatabaseQueueDriver(databases.get('platform'), { retryAfterMs: config.queue.retryAfterMs });
    case 'redis':
      return new RedisQueueDriver(config.redis, { retryAfterMs: config.queue.retryAfterMs });
  }
}
