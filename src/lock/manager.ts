import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { LockStore } from './contract.ts';

/** Picks the lock driver: LOCK_STORE, else the cache store's kind; only that driver's module is imported. */
export async function createLockStore(config: Config, backends: Backends): Promise<LockStore> {
  switch (config.lockStore) {
    case 'memory': {
      const { MemoryLockStore } = await import('./memory.ts');
      return new MemoryLockStore();
    }
    case 'sqlite': {
      const { SqliteLockStore } = await import('./sqlite.ts');
      return new SqliteLockStore(backends.files.open('cache'));
    }
    case 'redis': {
      const [{ RedisLockStore }, redis] = await Promise.all([import('./redis.ts'), backends.redis()]);
      return new RedisLockStore(redis.client, config.redis.prefix);
    }
  }
}
