import type { Config } from '../config/config.ts';
import type { ObjectStorage } from './contract.ts';

/** Picks the object storage driver named by FILESYSTEM_DISK; only that driver's module is imported. */
export async function createStorage(config: Config): Promise<ObjectStorage> {
  switch (config.filesystem.disk) {
    case 'local': {
      const { LocalStorage } = await import('./local.ts');
      return new LocalStorage(config.filesystem.root);
    }
    case 's3': {
      const { S3Storage } = await import('./s3.ts');
      // config.ts sets s3 whenever the disk is s3 (and names what is missing otherwise).
      return new S3Storage(config.filesystem.s3!);
    }
  }
}
