import type { Config } from '../config/config.ts';
import type { EmbeddedFiles } from '../platform/embedded-files.ts';
import type { LockStore } from './contract.ts';
import { MemoryLockStore } from './memory.ts';
import { SqliteLockStore } from './sqlite.ts';

/** Picks the lock driver: LOCK_STORE, else the cache store's kind. */
export function createLockStore(config: Config, files: EmbeddedFiles): LockStore {
  switch (config.lockStore) {
    case 'memory':
      return new MemoryLockStore();
    case 'sqlite':
      return new SqliteLockStore(files.open('cache'));
  }
}
