import type { Config } from '../config/config.ts';
import type { DatabaseManager } from '../database/manager.ts';
import type { RedisConnections } from '../redis/connection.ts';
import type { TelemetryStore } from './contract.ts';
import type { TelemetryDatabase } from './schema.ts';

/**
 * Redis when the deployment has one (some other driver opened it), the platform database
 * otherwise: telemetry needs no setting of its own. Only the chosen store's module is imported.
 */
export async function createTelemetryStore(config: Config, databases: DatabaseManager, redis: RedisConnections | undefined): Promise<TelemetryStore> {
  if (redis) {
    const { RedisTelemetryStore } = await import('./redis.ts');
    return new RedisTelemetryStore(redis.client, `${config.redis.prefix}telemetry:`);
  }
  const { DatabaseTelemetryStore } = await import('./database.ts');
  return new DatabaseTelemetryStore(databases.get<TelemetryDatabase>('platform'));
}
