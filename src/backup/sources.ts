import type { Services } from '../platform/services.ts';
import { RedisConnections } from '../redis/connection.ts';
import type { BackupSources } from './backup.ts';
import type { DatabaseDumper } from './database-dump.ts';
import { StorageBackupObjects, type BackupObjects } from './objects.ts';
import { RedisQueuePart } from './redis-part.ts';
import { ServerDumper } from './server-dump.ts';
import { SqliteDumper } from './sqlite-dump.ts';

/** Every database of the layout, the object storage, and the Redis queue when QUEUE_CONNECTION=redis. */
export function backupSources(services: Services): BackupSources & { close(): Promise<void> } {
  const config = services.config;
  // The queue keeps connections of its own: services.redis is set only when another port uses Redis.
  const own = config.queue.connection === 'redis' && !services.redis ? new RedisConnections(config.redis) : undefined;
  const redis = config.queue.connection === 'redis' ? (services.redis ?? own) : undefined;
  return {
    databases: config.layout.databases.map((name) => ({ name, dumper: dumperFor(services, name) })),
    objects: objectsFor(services),
    redisQueue: redis ? new RedisQueuePart(redis.client, config.redis.prefix) : undefined,
    queueDriver: config.queue.connection,
    close: async () => {
      await own?.close();
    },
  };
}

function dumperFor(services: Services, name: string): DatabaseDumper {
  const settings = services.config.databases[name]!;
  return settings.connection === 'sqlite' ? new SqliteDumper(settings.file) : new ServerDumper(settings, services.databases.get(name));
}

/** FILESYSTEM_DISK: local or s3, both through the storage port. */
function objectsFor(services: Services): BackupObjects {
  return new StorageBackupObjects(services.storage);
}
