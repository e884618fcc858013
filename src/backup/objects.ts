import type { ObjectStorage } from '../storage/contract.ts';

/** What a backup needs of the object storage: every key, read, write, delete. */
export interface BackupObjects {
  readonly driver: string;
  keys(): AsyncIterable<string>;
  read(key: string): Promise<{ body: Buffer; contentType: string } | undefined>;
  write(key: string, body: Buffer, contentType: string): Promise<void>;
  remove(key: string): Promise<void>;
}

/**
 * The objects of any disk (local or S3) through the storage port: its listing gives the keys,
 * and reads and writes carry each object's content type along.
 */
export class StorageBackupObjects implements BackupObjects {
  constructor(private readonly storage: ObjectStorage) {}

  get driver(): string {
    return this.storage.driver;
  }

  /** Sorted, so that two backups of the same objects are the same archive. */
  async *keys(): AsyncIterable<string> {
    const keys: string[] = [];
    for await (const object of this.storage.list('')) keys.push(object.key);
    yield* keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async read(key: string) {
    const object = await this.storage.get(key);
    return object && { body: object.body, contentType: object.contentType };
  }

  write(key: string, body: Buffer, contentType: string): Promise<void> {
    return this.storage.put(key, body, { contentType });
  }

  remove(key: string): Promise<void> {
    return this.storage.delete(key);
  }
}
