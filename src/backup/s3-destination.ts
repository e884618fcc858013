import type { S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { S3Connection } from '../config/config.ts';
import { isNotFound, s3ClientConfig } from '../storage/s3.ts';
import { backupTime, type BackupDestination, type BackupReader, type BackupWriter } from './destination.ts';
import { formatS3Url, type S3Location } from './s3-url.ts';

/**
 * Written last, by commit(): S3 has no rename, so a backup exists (is listed) once this
 * object does. Its dot keeps it apart from every part name.
 */
export const COMPLETE_MARKER = '.complete';

const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
// Parts in flight per file: memory is about (queue + 1) × part size while a part streams up.
const QUEUE_SIZE = 2;

export interface S3DestinationOptions {
  /** Bytes per multipart part (16 MiB by default, at least S3's 5 MiB); a file up to one part is one PUT. */
  readonly partSize?: number;
}

interface Sdk {
  readonly s3: typeof import('@aws-sdk/client-s3');
  readonly upload: typeof import('@aws-sdk/lib-storage');
  readonly client: S3Client;
}

/**
 * Backups in an S3 bucket (`--to s3://bucket/prefix`, or BACKUP_PATH=s3://…): each file of a
 * backup is the object `<prefix><name>/<file>`, streamed up with multipart uploads (nothing is
 * staged on the local disk), and read back streamed. AWS, MinIO, R2 or s3rver, through the
 * AWS_* variables (AWS_ENDPOINT, AWS_USE_PATH_STYLE_ENDPOINT) the S3 storage driver uses.
 */
export class S3Destination implements BackupDestination {
  readonly location: string;
  readonly #where: S3Location;
  readonly #connection: S3Connection & { readonly region: string };
  readonly #partSize: number;
  #sdk: Promise<Sdk> | undefined;

  constructor(where: S3Location, connection: S3Connection & { readonly region: string }, options: S3DestinationOptions = {}) {
    this.#where = where;
    this.#connection = connection;
    this.#partSize = Math.max(MIN_PART_SIZE, options.partSize ?? DEFAULT_PART_SIZE);
    this.location = formatS3Url(where);
  }

  #load(): Promise<Sdk> {
    // Loaded on first use: the SDK is large, and most backups go to a folder.
    this.#sdk ??= (async () => {
      const [s3, upload] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      return { s3, upload, client: new s3.S3Client(s3ClientConfig(this.#connection)) };
    })();
    return this.#sdk;
  }

  #key(name: string, file = ''): string {
    return `${this.#where.prefix}${name}/${file}`;
  }

  /** Every key under `prefix` (all pages). */
  async #keys(prefix: string): Promise<string[]> {
    const { s3, client } = await this.#load();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new s3.ListObjectsV2Command({ Bucket: this.#where.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    for (const key of await this.#keys(this.#where.prefix)) {
      const rest = key.slice(this.#where.prefix.length).split('/');
      if (rest.length === 2 && rest[1] === COMPLETE_MARKER && backupTime(rest[0]!) !== undefined) names.push(rest[0]!);
    }
    return names.sort();
  }

  async begin(name: string): Promise<BackupWriter> {
    if (backupTime(name) === undefined) throw new Error(`refusing to write ${JSON.stringify(name)}: not a backup name`);
    const sdk = await this.#load();
    const existing = await this.#keys(this.#key(name));
    if (existing.includes(this.#key(name, COMPLETE_MARKER))) throw new Error(`a backup named ${name} exists already in ${this.location}: wait a second and run it again`);
    // The leftovers of a backup killed mid-way under the same name (never listed: no marker).
    await this.#delete(existing);
    const written = new Set<string>();
    return {
      create: (file: string): Writable => {
        const key = this.#key(name, file);
        written.add(key);
        return uploadStream(sdk, this.#where.bucket, key, this.#partSize);
      },
      commit: async () => {
        await sdk.client.send(new sdk.s3.PutObjectCommand({ Bucket: this.#where.bucket, Key: this.#key(name, COMPLETE_MARKER), Body: new Uint8Array(0), ContentLength: 0 }));
      },
      abort: async () => {
        // What list() finds too: a part whose upload failed is aborted by the SDK, the others are objects.
        await this.#delete([...new Set([...written, ...(await this.#keys(this.#key(name)))])]);
      },
    };
  }

  open(name: string): BackupReader {
    return new S3Reader(this.#load(), this.#where.bucket, this.#key(name), `${this.location}${name}`);
  }

  async remove(name: string): Promise<void> {
    if (backupTime(name) === undefined) throw new Error(`refusing to remove ${JSON.stringify(name)}: not a backup name`);
    const marker = this.#key(name, COMPLETE_MARKER);
    // The marker first: a removal cut short leaves an unlisted remainder, never a listed half backup.
    await this.#delete([marker]);
    await this.#delete((await this.#keys(this.#key(name))).filter((k) => k !== marker));
  }

  async #delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const { s3, client } = await this.#load();
    // One DeleteObject each (a backup has a handful of files): DeleteObjects needs a Content-MD5 some servers check differently.
    for (const key of keys) await client.send(new s3.DeleteObjectCommand({ Bucket: this.#where.bucket, Key: key }));
  }

  async close(): Promise<void> {
    if (this.#sdk) (await this.#sdk).client.destroy();
  }
}

/** One backup on S3, read by file name. */
class S3Reader implements BackupReader {
  constructor(
    private readonly sdk: Promise<Sdk>,
    private readonly bucket: string,
    private readonly prefix: string,
    readonly location: string,
  ) {}

  async size(file: string): Promise<number | undefined> {
    const { s3, client } = await this.sdk;
    try {
      const head = await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${file}` }));
      return head.ContentLength;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  read(file: string): Readable {
    const body = async () => {
      const { s3, client } = await this.sdk;
      try {
        const response = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${file}` }));
        if (!(response.Body instanceof Readable)) throw new Error(`S3 GetObject ${file}: the body is not a Node stream`);
        return response.Body;
      } catch (error) {
        if (isNotFound(error)) throw new Error(`${file} is missing from ${this.location}`, { cause: error });
        throw error;
      }
    };
    return Readable.from(
      (async function* () {
        yield* await body();
      })(),
      { objectMode: false },
    );
  }

  async readSmall(file: string): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of this.read(file)) chunks.push(chunk as Buffer);
    } catch (error) {
      if (isNotFound((error as Error).cause)) return undefined;
      throw error;
    }
    return Buffer.concat(chunks);
  }
}

/**
 * A Writable whose bytes stream into one object through the SDK's multipart Upload: the write
 * side finishes only once S3 has the whole object, and an upload error fails the stream (so
 * the backup's pipeline fails, and abort() cleans up).
 */
function uploadStream(sdk: Sdk, bucket: string, key: string, partSize: number): Writable {
  const body = new PassThrough();
  const upload = new sdk.upload.Upload({
    client: sdk.client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' },
    partSize,
    queueSize: QUEUE_SIZE,
    // A failed multipart upload is aborted: no parts are left behind to pay for.
    leavePartsOnError: false,
  });
  const done = upload.done();
  let finished = false;
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (body.write(chunk)) callback();
      else body.once('drain', () => callback());
    },
    final(callback) {
      body.end();
      done.then(
        () => {
          finished = true;
          callback();
        },
        (error: Error) => callback(error),
      );
    },
    destroy(error, callback) {
      if (!finished) {
        body.destroy();
        void upload.abort().catch(() => {});
      }
      callback(error);
    },
  });
  done.catch((error: Error) => writable.destroy(error));
  return writable;
}
