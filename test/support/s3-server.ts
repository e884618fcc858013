import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3Config } from '../../src/config/config.ts';
import type { RawEnv } from '../../src/config/env-files.ts';

/** s3rver's fixed credentials: it checks every signature against them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

/**
 * A real S3-protocol server (s3rver, over HTTP) on 127.0.0.1 and a free port, keeping its
 * objects in a temp folder; close() stops it and removes the folder. No external server is
 * needed, so the S3 suites always run (in CI too).
 */
export interface TestS3Server {
  readonly endpoint: string;
  /** A new, empty bucket with a unique name. */
  createBucket(): Promise<string>;
  /** Settings for S3Storage on `bucket`. */
  config(bucket: string): S3Config;
  /** The environment that makes a platform or a `marg` process store on `bucket`. */
  env(bucket: string): RawEnv;
  close(): Promise<void>;
}

export async function startS3Server(): Promise<TestS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'marg-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    async createBucket() {
      const bucket = `marg-test-${randomBytes(6).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    config: (bucket) => ({ bucket, region: REGION, credentials: S3RVER_CREDENTIALS, endpoint, forcePathStyle: true }),
    env: (bucket) => ({
      FILESYSTEM_DISK: 's3',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: REGION,
      AWS_BUCKET: bucket,
      AWS_ENDPOINT: endpoint,
      AWS_USE_PATH_STYLE_ENDPOINT: 'true',
      // The SDK's notice that its 2027 releases need Node 22 (we pin a release that runs on Node 20).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
