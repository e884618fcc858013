import type { Readable } from 'node:stream';

/**
 * The object storage port (DESIGN §2, Laravel's `Storage` disk): objects (bytes + a content
 * type) under string keys. Local disk embedded; S3-compatible (AWS, MinIO, R2) in production.
 *
 * - **Keys** are `/`-separated paths of lowercase letters, digits and `_ . -` (see
 *   validation.ts): every driver refuses anything else with InvalidStorageKeyError, so a key
 *   built from user input can never reach outside the disk.
 * - **Whole objects.** A put replaces the object atomically: a reader sees the old object or
 *   the new one, never a part; concurrent puts of one key leave one of them, whole. A streamed
 *   put that fails (source error, size limit) leaves the previous object, or none.
 * - A missing key is `undefined` / `false`, and deleting it is a no-op.
 */
export interface ObjectStorage {
  /** `local` or `s3` (FILESYSTEM_DISK). */
  readonly driver: string;
  put(key: string, body: Buffer, options: PutOptions): Promise<void>;
  /**
   * Stores what `body` yields, without holding it in memory (S3: a multipart upload above the
   * part size). Over `options.maxBytes` it stops reading, stores nothing and throws
   * ObjectTooLargeError. Returns the number of bytes stored.
   */
  putStream(key: string, body: Readable, options: StreamPutOptions): Promise<{ readonly size: number }>;
  get(key: string): Promise<StoredObject | undefined>;
  /** The object as a stream (the caller must consume or destroy it), with its size. */
  getStream(key: string): Promise<ObjectStream | undefined>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Every object whose key starts with `prefix` (a plain string prefix, as S3 has it: `tasks/1/`
   * or `tasks/1`), in no particular order. `''` lists everything.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * A URL anyone can GET the object from until `expiresIn` seconds have passed (S3: a presigned
   * GET), or undefined when the driver cannot give one (local: the app serves the bytes itself).
   */
  signedUrl(key: string, options: { readonly expiresIn: number }): Promise<string | undefined>;
  /** Throws when the disk (local folder, S3 bucket) cannot be read and written (health checks, boot). */
  ping(): Promise<void>;
  /** Lets go of connections (S3's sockets); the store is not used after. */
  close(): Promise<void>;
}

export interface PutOptions {
  /** A MIME type (`image/png`), served back as it is given. */
  readonly contentType: string;
}

export interface StreamPutOptions extends PutOptions {
  /** The largest body accepted, in bytes; default: no limit. */
  readonly maxBytes?: number;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
}

export interface ObjectStream {
  readonly body: Readable;
  readonly contentType: string;
  readonly size: number;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** What a reader gets when a driver cannot vouch for an object's content type. */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** The longest a signed URL may live: S3's presigned URLs (SigV4) allow at most 7 days. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600;

/**
 * A key the driver cannot hold although it is well formed: on a local disk, `a` and `a/b`
 * cannot both exist (a file cannot also be a folder). S3 has no such limit.
 */
export class StorageKeyConflictError extends Error {
  override name = 'StorageKeyConflictError';
}

/** A streamed put went over its `maxBytes`: nothing was stored. */
export class ObjectTooLargeError extends Error {
  override name = 'ObjectTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the object is larger than ${maxBytes} bytes`);
  }
}
