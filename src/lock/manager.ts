import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { LockStore } from './contract.ts';
import { MemoryLockStore } from './memory.ts';
import { RedisLockStore } from './redis.ts';
import { SqliteLockStore } from './sqlite.ts';

/** Picks the lock driver: LOCK_STORE, else the cache store's kind. */
export function createLockStore(config: Config, backends: Backends): LockStore {
  switch (config.lockStore) {
    case 'memory':
      return new MemoryLockStore();
    case 'sqlite':
      return new SqliteLockStore(backends.files.open('cache'));
    case 'redis':
      return new RedisLockStore(backends.redis.client, config.redis.prefix);
  }
}
