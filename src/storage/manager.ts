import type { Config } from '../config/config.ts';
import type { ObjectStorage } from './contract.ts';
import { LocalStorage } from './local.ts';

/** Picks the object storage driver named by FILESYSTEM_DISK. */
export function createStorage(config: Config): ObjectStorage {
  switch (config.filesystem.disk) {
    case 'local':
      return new LocalStorage(config.filesystem.root);
  }
}
