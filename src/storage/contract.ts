/**
 * The object storage port (DESIGN §2, Laravel's `Storage` disk): whole objects (bytes + a
 * content type) under string keys. Local disk embedded; S3-compatible in production.
 *
 * - **Keys** are `/`-separated paths of lowercase letters, digits and `_ . -` (see
 *   validation.ts): every driver refuses anything else with InvalidStorageKeyError, so a key
 *   built from user input can never reach outside the disk.
 * - **Whole objects.** A put replaces the object atomically: a reader sees the old object or
 *   the new one, never a part; concurrent puts of one key leave one of them, whole.
 * - A missing key is `undefined` / `false`, and deleting it is a no-op.
 */
export interface ObjectStorage {
  /** `local` (FILESYSTEM_DISK). */
  readonly driver: string;
  put(key: string, body: Buffer, options: PutOptions): Promise<void>;
  get(key: string): Promise<StoredObject | undefined>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Throws when the disk cannot be read and written (health checks, boot). */
  ping(): Promise<void>;
}

export interface PutOptions {
  /** A MIME type (`image/png`), served back as it is given. */
  readonly contentType: string;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
}

/** What a reader gets when a driver cannot vouch for an object's content type. */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/**
 * A key the driver cannot hold although it is well formed: on a local disk, `a` and `a/b`
 * cannot both exist (a file cannot also be a folder). S3 has no such limit.
 */
export class StorageKeyConflictError extends Error {
  override name = 'StorageKeyConflictError';
}
