import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { writeAppKey } from '../../src/config/app-key.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { tempDir } from '../support/cli.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { seedEverything } from './support.ts';

/** A seeded project (SQLite + local disk) whose backups go to an s3rver bucket under `s3://<bucket>/marg/nightly`. */
export interface S3BackupProject {
  readonly s3: TestS3Server;
  readonly bucket: string;
  readonly url: string;
  /** A client of its own, to look at and damage the objects behind Marg's back. */
  readonly client: S3Client;
  /** The AWS_* connection with the objects on the local disk: only the backups go to S3. */
  readonly env: RawEnv;
  readonly dir: string;
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startS3BackupProject(dirPrefix: string): Promise<S3BackupProject> {
  const s3 = await startS3Server();
  const bucket = await s3.createBucket();
  const { bucket: _, ...connection } = s3.config(bucket);
  const client = new S3Client({ ...connection, credentials: connection.credentials! });
  const dir = tempDir(dirPrefix);
  writeAppKey(dir);
  await seedEverything(dir);
  return {
    s3,
    bucket,
    url: `s3://${bucket}/marg/nightly`,
    client,
    env: { ...s3.env(bucket), FILESYSTEM_DISK: 'local', AWS_BUCKET: undefined },
    dir,
    async keys(prefix) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((c) => c.Key!).sort();
    },
    async close() {
      client.destroy();
      await s3.close();
    },
  };
}
