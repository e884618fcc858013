import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Config, S3Connection } from '../config/config.ts';
import { limitBytes } from './byte-limit.ts';
import {
  MAX_SIGNED_URL_SECONDS,
  ObjectTooLargeError,
  UNKNOWN_CONTENT_TYPE,
  type ObjectInfo,
  type ObjectStorage,
  type ObjectStream,
  type PutOptions,
  type StoredObject,
  type StreamPutOptions,
} from './contract.ts';
import { checkPrefix } from './prefix.ts';
import { checkContentType, checkKey } from './validation.ts';

export interface S3StorageOptions {
  /** Bytes per part of a multipart upload (S3's minimum, 5 MiB, by default); a streamed body up to one part is one PUT. */
  readonly partSize?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
// Parts uploaded at once: memory held by one streamed put is about (queue + 1) × part size.
const QUEUE_SIZE = 2;

/** The SDK's modules, loaded on first use: every `marg` process builds its storage, and most run on the local disk. */
interface Sdk {
  readonly s3: typeof import('@aws-sdk/client-s3');
  readonly upload: typeof import('@aws-sdk/lib-storage');
  readonly presigner: typeof import('@aws-sdk/s3-request-presigner');
  readonly client: S3Client;
}

/**
 * Objects in an S3 bucket (FILESYSTEM_DISK=s3): AWS, or any S3-compatible server (MinIO, R2,
 * s3rver in the tests) through AWS_ENDPOINT and AWS_USE_PATH_STYLE_ENDPOINT. A key is the
 * object key as it is; the content type is the object's Content-Type. S3 PUTs (single and
 * multipart) replace an object atomically, which is the port's whole-object rule.
 */
export class S3Storage implements ObjectStorage {
  readonly driver = 's3';
  readonly bucket: string;
  readonly #config: S3Config;
  readonly #partSize: number;
  #sdk: Promise<Sdk> | undefined;
  #closed = false;

  constructor(config: S3Config, options: S3StorageOptions = {}) {
    this.bucket = config.bucket;
    this.#config = config;
    this.#partSize = Math.max(MIN_PART_SIZE, options.partSize ?? MIN_PART_SIZE);
  }

  /** The SDK and one client, made on first use. */
  #load(): Promise<Sdk> {
    if (this.#closed) return Promise.reject(new Error('S3 storage: used after close()'));
    this.#sdk ??= (async () => {
      const [s3, upload, presigner] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage'), import('@aws-sdk/s3-request-presigner')]);
      const config = this.#config;
      const client = new s3.S3Client(s3ClientConfig(config));
      return { s3, upload, presigner, client };
    })();
    return this.#sdk;
  }

  async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    const params = { Bucket: this.bucket, Key: checkKey(key), Body: body, ContentType: checkContentType(options.contentType) };
    const { s3, client } = await this.#load();
    await client.send(new s3.PutObjectCommand(params));
  }

  async putStream(key: string, body: Readable, options: StreamPutOptions): Promise<{ size: number }> {
    let contentType: string;
    try {
      checkKey(key);
      contentType = checkContentType(options.contentType);
    } catch (error) {
      body.destroy();
      throw error;
    }
    let sdk: Sdk;
    try {
      sdk = await this.#load();
    } catch (error) {
      body.destroy();
      throw error;
    }
    const limited = limitBytes(body, options.maxBytes);
    const upload = new sdk.upload.Upload({
      client: sdk.client,
      params: { Bucket: this.bucket, Key: key, Body: limited.stream, ContentType: contentType },
      partSize: this.#partSize,
      queueSize: QUEUE_SIZE,
      // On an error the multipart upload is aborted: no parts are left to pay for, and no object appears.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      if (options.maxBytes !== undefined && limited.size() > options.maxBytes) throw new ObjectTooLargeError(options.maxBytes);
      throw error;
    } finally {
      limited.stream.destroy();
    }
    return { size: limited.size() };
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const object = await this.getStream(key);
    if (!object) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return { body: Buffer.concat(chunks), contentType: object.contentType };
  }

  async getStream(key: string): Promise<ObjectStream | undefined> {
    checkKey(key);
    const { s3, client } = await this.#load();
    try {
      const response = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = response.Body;
      // In Node the SDK's body is an http.IncomingMessage (a Readable); anything else is a runtime we do not run on.
      if (!(body instanceof Readable)) throw new Error(`S3 GetObject ${key}: the body is not a Node stream`);
      return { body, contentType: response.ContentType ?? UNKNOWN_CONTENT_TYPE, size: response.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const { s3, client } = await this.#load();
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async exists(key: string): Promise<boolean> {
    checkKey(key);
    const { s3, client } = await this.#load();
    try {
      await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    const { s3, client } = await this.#load();
    let token: string | undefined;
    do {
      const page = await client.send(
        new s3.ListObjectsV2Command({ Bucket: this.bucket, ...(prefix === '' ? {} : { Prefix: prefix }), ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield { key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async signedUrl(key: string, options: { readonly expiresIn: number }): Promise<string> {
    const { expiresIn } = options;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_SIGNED_URL_SECONDS) {
      throw new RangeError(`signedUrl expiresIn: expected whole seconds from 1 to ${MAX_SIGNED_URL_SECONDS} (got ${expiresIn})`);
    }
    checkKey(key);
    const { s3, presigner, client } = await this.#load();
    return presigner.getSignedUrl(client, new s3.GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
  }

  async ping(): Promise<void> {
    try {
      const { s3, client } = await this.#load();
      await client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = httpStatus(error);
      const why = status === 404 ? 'no such bucket' : status === 403 ? 'access denied (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)' : (error as Error).message || (error as Error).name;
      throw new Error(`object storage (FILESYSTEM_DISK=s3) cannot reach bucket ${this.bucket} (AWS_BUCKET): ${why}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sdk) (await this.#sdk).client.destroy();
  }
}

/** The SDK client's settings for AWS_* (shared with the S3 backup destination). */
export function s3ClientConfig(config: S3Connection & { readonly region: string }): S3ClientConfig {
  return {
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    // Only what S3 itself requires: R2 and older MinIO refuse the optional CRC32 checksums the newer SDKs add by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** The HTTP status of an S3 service error (the SDK's S3ServiceException carries it in $metadata). */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export function isNotFound(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return httpStatus(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}
