import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { InvalidationBus } from './contract.ts';
import { LocalInvalidationBus } from './local.ts';

/**
 * Redis pub/sub when the sessions or the cache live on Redis (every process of such a
 * deployment reaches it); otherwise within the process, live only on the memory stores, which
 * no other process can change. The Redis bus is imported only then (boot time, issue 19).
 */
export async function createInvalidationBus(config: Config, backends: Backends): Promise<InvalidationBus> {
  if (config.session.driver === 'redis' || config.cache.store === 'redis') {
    const [{ RedisInvalidationBus }, connections] = await Promise.all([import('./redis.ts'), backends.redis()]);
    return new RedisInvalidationBus(connections.client, () => connections.duplicate(), config.redis.prefix);
  }
  return new LocalInvalidationBus(config.session.driver === 'memory' && config.cache.store === 'memory');
}
