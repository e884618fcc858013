import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { backupDestination, backupToRead } from '../../src/backup/locations.ts';
import { silentProgress } from '../../src/backup/progress.ts';
import { runBackup } from '../../src/backup/run.ts';
import { loadConfig } from '../../src/config/config.ts';
import { APPS } from '../../apps/index.ts';
import { appLayout } from '../../src/platform/app-registry.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { cleanEnv, cleanupCli, describeResult, runMarg, withCliServices } from '../support/cli.ts';
import { snapshotData } from './support.ts';
import { startS3BackupProject, type S3BackupProject } from './s3-project.ts';

/**
 * A damaged backup on S3 is refused by `marg restore s3://…` before anything is written, with
 * a message naming the part (the same checks as a folder's: corruption.ts); and bad s3://
 * locations are refused with a clear message.
 */
describe('restore refuses a damaged backup on S3 (s3rver), naming the part, and touches nothing', () => {
  let project: S3BackupProject;
  let client: S3Client;
  let dir: string;
  let bucket: string;
  let url: string;
  let env: RawEnv;
  let name: string;

  before(async () => {
    project = await startS3BackupProject('marg-backup-s3-corrupt-');
    ({ client, bucket, url, env, dir } = project);
    // In-process (the CLI's backup to S3 has its test in s3-cli.test.ts): each CLI run costs seconds of startup.
    name = await withCliServices(dir, env, async (services) => {
      const destination = backupDestination(services.config, url);
      try {
        return (await runBackup(services, { destination, key: undefined, retention: { daily: 0, weekly: 0, monthly: 0 }, progress: silentProgress })).name;
      } finally {
        await destination.close();
      }
    });
  });
  after(async () => {
    await cleanupCli();
    await project?.close();
  });

  const keys = (prefix: string) => project.keys(prefix);

  async function bytes(key: string): Promise<Buffer> {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  const damages: { name: string; damage: (from: string, to: string) => Promise<void>; message: RegExp }[] = [
    {
      name: 'one byte changed in a database part',
      damage: async (from, to) => {
        const part = await bytes(`${from}database-flow.sqlite.gz`);
        part[Math.floor(part.length / 2)]! ^= 0x01;
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${to}database-flow.sqlite.gz`, Body: part }));
      },
      message: /backup part "database-flow\.sqlite\.gz" does not match its SHA-256 in the manifest/,
    },
    {
      name: 'a part missing',
      damage: (_from, to) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${to}storage.tar.gz` })).then(() => {}),
      message: /backup part "storage\.tar\.gz" is missing/,
    },
  ];
  for (const [i, c] of damages.entries()) {
    it(`${c.name} on S3: restore --force refuses it naming the part, the target unchanged`, async () => {
      // The target moves on after the backup: a restore would change it.
      await withCliServices(dir, {}, (services) => services.storage.put(`avatars/after-${i}/original`, Buffer.from('after the backup'), { contentType: 'image/png' }));
      const target = await snapshotData(dir);
      const from = `marg/nightly/${name}/`;
      const to = `damaged-${i}/${name}/`;
      for (const key of await keys(from)) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${to}${key.slice(from.length)}`, Body: await bytes(key) }));
      await c.damage(from, to);
      const result = await runMarg(['restore', `s3://${bucket}/${to}`, '--force'], { cwd: dir, env, timeoutMs: 60_000 });
      assert.equal(result.code, 2, describeResult(result));
      assert.match(result.stderr, c.message);
      assert.match(result.stderr, /The backup is refused; nothing was changed\./);
      assert.deepEqual(await snapshotData(dir), target);
    });
  }

  it('refuses a bad s3:// location, a missing AWS_DEFAULT_REGION or a URL without a backup name, saying which (the CLI: exit 2)', async () => {
    const config = (extra: RawEnv = {}) => loadConfig({ cwd: dir, env: cleanEnv({ ...env, ...extra }), layout: appLayout(APPS) });
    assert.throws(() => backupDestination(config(), 's3://Not_A_Bucket/x'), /"Not_A_Bucket" is not an S3 bucket name/);
    assert.throws(() => backupDestination(config({ AWS_DEFAULT_REGION: undefined }), url), /needs AWS_DEFAULT_REGION/);
    assert.throws(() => backupToRead(config(), `s3://${bucket}`), /expected s3:\/\/bucket\/prefix\/marg-/);
    assert.throws(() => config({ AWS_SECRET_ACCESS_KEY: undefined }), /AWS_SECRET_ACCESS_KEY: is required with AWS_ACCESS_KEY_ID/);
    const bad = await runMarg(['backup', '--to', 's3://Not_A_Bucket/x'], { cwd: dir, env });
    assert.equal(bad.code, 2, describeResult(bad));
    assert.match(bad.stderr, /"Not_A_Bucket" is not an S3 bucket name/);
  });
});
