import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backupName } from '../../src/backup/destination.ts';
import { backupsToKeep } from '../../src/backup/retention.ts';
import { prune } from '../../src/backup/run.ts';
import { COMPLETE_MARKER, S3Destination } from '../../src/backup/s3-destination.ts';
import { parseS3Url } from '../../src/backup/s3-url.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { cleanupCli, migratedProject, withCliServices } from '../support/cli.ts';
import { backupTask } from '../../src/backup/schedule.ts';

const DAY = 86_400_000;
const MiB = 1024 * 1024;

describe('S3 backup destination (s3rver)', () => {
  let s3: TestS3Server;
  let client: S3Client;
  let proxy: Server;
  let proxyEndpoint: string;
  const seen: string[] = [];
  // Without the parts that vary (the upload id) or only name the SDK's operation (x-id).
  const requests = () => seen.map((r) => r.replace(/uploadId=[^&]+/, 'uploadId=…').replace(/&x-id=\w+/, '').replace(/\?x-id=\w+$/, ''));
  before(async () => {
    s3 = await startS3Server();
    const { bucket: _, ...connection } = s3.config('unused');
    client = new S3Client({ ...connection, credentials: connection.credentials! });
    const target = new URL(s3.endpoint);
    proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    proxyEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  after(async () => {
    client?.destroy();
    proxy?.closeAllConnections();
    await new Promise((done) => proxy?.close(done));
    await s3?.close();
  });

  /** A destination on a new bucket, talking to s3rver through a recording proxy (`seen`: method, path and query of each request). */
  async function destination(prefix: string, partSize?: number): Promise<{ destination: S3Destination; bucket: string }> {
    const bucket = await s3.createBucket();
    const { bucket: _, ...connection } = s3.config(bucket);
    return { destination: new S3Destination(parseS3Url(`s3://${bucket}/${prefix}`), { ...connection, endpoint: proxyEndpoint }, partSize ? { partSize } : {}), bucket };
  }

  async function keys(bucket: string): Promise<string[]> {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (page.Contents ?? []).map((c) => c.Key!).sort();
  }

  it('streams a file larger than a part up as a multipart upload and reads it back byte for byte; a backup is listed only once committed', async () => {
    const { destination, bucket } = await destination_('nightly/db', 5 * MiB);
    try {
      const name = backupName(new Date('2026-12-06T03:00:00Z'));
      const writer = await destination.begin(name);
      const big = randomBytes(12 * MiB + 123);
      await pipeline(Readable.from([big.subarray(0, 7 * MiB), big.subarray(7 * MiB)]), writer.create('storage.tar.gz'));
      await pipeline(Readable.from([Buffer.from('{}')]), writer.create('manifest.json'));
      assert.deepEqual(await destination.list(), [], 'not listed before commit');
      await writer.commit();
      assert.deepEqual(await destination.list(), [name]);
      assert.deepEqual(await keys(bucket), [`nightly/db/${name}/${COMPLETE_MARKER}`, `nightly/db/${name}/manifest.json`, `nightly/db/${name}/storage.tar.gz`]);

      // 12 MiB in 5 MiB parts: three UploadPart requests reached the server (s3rver's ETags do not show the parts, as S3's do).
      assert.deepEqual(
        requests().filter((r) => r.includes('storage.tar.gz')).sort(),
        [
          `POST /${bucket}/nightly/db/${name}/storage.tar.gz?uploadId=…`,
          `POST /${bucket}/nightly/db/${name}/storage.tar.gz?uploads=`,
          `PUT /${bucket}/nightly/db/${name}/storage.tar.gz?partNumber=1&uploadId=…`,
          `PUT /${bucket}/nightly/db/${name}/storage.tar.gz?partNumber=2&uploadId=…`,
          `PUT /${bucket}/nightly/db/${name}/storage.tar.gz?partNumber=3&uploadId=…`,
        ].sort(),
      );
      assert.ok(requests().includes(`PUT /${bucket}/nightly/db/${name}/manifest.json`), 'a file under one part is one PUT');

      const reader = destination.open(name);
      assert.equal(await reader.size('storage.tar.gz'), big.length);
      assert.equal(await reader.size('nope'), undefined);
      assert.equal(await reader.readSmall('nope'), undefined);
      assert.equal((await reader.readSmall('manifest.json'))?.toString(), '{}');
      const hash = createHash('sha256');
      for await (const chunk of reader.read('storage.tar.gz')) hash.update(chunk as Buffer);
      assert.equal(hash.digest('hex'), createHash('sha256').update(big).digest('hex'));
      await assert.rejects(async () => {
        for await (const _ of reader.read('missing.gz')) void _;
      }, /missing\.gz is missing from s3:\/\//);

      await assert.rejects(destination.begin(name), /exists already/);
      await destination.remove(name);
      assert.deepEqual(await keys(bucket), []);
    } finally {
      await destination.close();
    }
  });

  it('abort() leaves nothing in the bucket, and a failed upload fails the write', async () => {
    const { destination, bucket } = await destination_('');
    try {
      const name = backupName(new Date('2026-12-07T03:00:00Z'));
      const writer = await destination.begin(name);
      await pipeline(Readable.from([Buffer.from('part')]), writer.create('database-flow.sqlite.gz'));
      const failing = new Readable({
        read() {
          this.destroy(new Error('the dump died'));
        },
      });
      await assert.rejects(pipeline(failing, writer.create('database-links.sqlite.gz')), /the dump died/);
      await writer.abort();
      assert.deepEqual(await keys(bucket), []);
      assert.deepEqual(await destination.list(), []);
    } finally {
      await destination.close();
    }
  });

  it('retention over 40 days with a faked clock keeps exactly what the policy keeps, and removes every object of the others', async () => {
    const { destination, bucket } = await destination_('r');
    try {
      const policy = { daily: 3, weekly: 3, monthly: 2 };
      const first = Date.parse('2026-01-01T03:00:00Z');
      const taken: { name: string; at: Date }[] = [];
      for (let day = 0; day < 40; day++) {
        const at = new Date(first + day * DAY);
        const writer = await destination.begin(backupName(at));
        await pipeline(Readable.from([Buffer.from(`day ${day}`)]), writer.create('manifest.json'));
        await writer.commit();
        taken.push({ name: backupName(at), at });
        await prune(destination, policy);
      }
      const expected = [...backupsToKeep(taken, policy)].sort();
      // Day 39 is Monday February 9: the last 3 days; the newest of ISO weeks 7 (Feb 9), 6 (Sunday Feb 8) and 5 (Sunday Feb 1); of February and January (Jan 31).
      assert.deepEqual(expected, ['2026-01-31', '2026-02-01', '2026-02-07', '2026-02-08', '2026-02-09'].map((d) => backupName(new Date(`${d}T03:00:00Z`))));
      assert.deepEqual(await destination.list(), expected);
      assert.deepEqual(await keys(bucket), expected.flatMap((n) => [`r/${n}/${COMPLETE_MARKER}`, `r/${n}/manifest.json`]));
    } finally {
      await destination.close();
    }
  });

  it('the nightly backup:run writes to BACKUP_PATH=s3://… and applies BACKUP_KEEP_* there', async () => {
    const { destination: nightly, bucket } = await destination_('nightly');
    try {
      const dir = await migratedProject();
      // An old backup already there: keep-daily 1 (no weekly, no monthly) leaves only tonight's.
      const old = await nightly.begin('marg-20200101T030000Z');
      await old.commit();
      const env = { ...s3.env(bucket), FILESYSTEM_DISK: 'local', BACKUP_PATH: `s3://${bucket}/nightly`, BACKUP_KEEP_DAILY: '1', BACKUP_KEEP_WEEKLY: '0', BACKUP_KEEP_MONTHLY: '0' };
      await withCliServices(dir, env, (services) => backupTask.run(services, new AbortController().signal, { tick: new Date(), node: 'test:1' }));
      const left = await nightly.list();
      assert.equal(left.length, 1, left.join(', '));
      assert.notEqual(left[0], 'marg-20200101T030000Z');
      assert.ok((await keys(bucket)).includes(`nightly/${left[0]}/database-flow.sqlite.gz`));
    } finally {
      await nightly.close();
      await cleanupCli();
    }
  });

  // A name for the helper that does not shadow the destination it returns.
  const destination_ = destination;
});

describe('s3:// backup locations', () => {
  it('parses bucket and prefix, and refuses what S3 cannot hold, saying why', () => {
    assert.deepEqual(parseS3Url('s3://my-backups'), { bucket: 'my-backups', prefix: '' });
    assert.deepEqual(parseS3Url('s3://my-backups/'), { bucket: 'my-backups', prefix: '' });
    assert.deepEqual(parseS3Url('s3://my-backups/marg/Prod_1/'), { bucket: 'my-backups', prefix: 'marg/Prod_1/' });
    assert.throws(() => parseS3Url('s3://My_Bucket/x'), /"My_Bucket" is not an S3 bucket name/);
    assert.throws(() => parseS3Url('s3://ok-bucket/a//b'), /empty path segment/);
    assert.throws(() => parseS3Url('s3://ok-bucket/a/../b'), /"\.\." segment/);
    assert.throws(() => parseS3Url('s3://ok-bucket/a b'), /character outside/);
  });
});
