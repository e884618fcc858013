import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { buildConfig } from '../../src/config/config.ts';
import { StorageKeyConflictError, UNKNOWN_CONTENT_TYPE } from '../../src/storage/contract.ts';
import { LocalStorage } from '../../src/storage/local.ts';
import { createStorage } from '../../src/storage/manager.ts';
import { InvalidStorageKeyError } from '../../src/storage/validation.ts';
import { after } from 'node:test';
import { S3Storage } from '../../src/storage/s3.ts';
import { ConfigError } from '../../src/config/env-files.ts';
import { startS3Server } from '../support/s3-server.ts';
import { describeStorageContract, INVALID_KEYS, type StorageContractOptions, type StorageFactory } from './storage.contract.ts';

/** A temp folder with the disk root inside it, so a test can see whether anything landed beside the root. */
function tempDisk(): { parent: string; root: string; close(): Promise<void> } {
  const parent = mkdtempSync(join(tmpdir(), 'marg-storage-'));
  const root = join(parent, 'app');
  return { parent, root, close: async () => rmSync(parent, { recursive: true, force: true }) };
}

// s3rver on loopback, started here: the S3 driver is tested against a real S3-protocol server in every run.
const s3 = await startS3Server();
after(() => s3.close());
// Small enough for s3rver's disk, big enough for three 5 MiB parts.
const LARGE = 11 * 1024 * 1024 + 123;

const drivers: { name: string; factory: StorageFactory; options: StorageContractOptions }[] = [
  {
    name: 'local',
    factory: async () => {
      const disk = tempDisk();
      // Two instances on one folder: what two processes (web and worker) sharing storage/app see.
      return { store: new LocalStorage(disk.root), second: new LocalStorage(disk.root), close: disk.close };
    },
    options: { signedUrls: false, largeBytes: LARGE },
  },
  {
    name: 's3 (s3rver)',
    factory: async () => {
      // A bucket per test; two clients on it: what two nodes sharing the bucket see.
      const config = s3.config(await s3.createBucket());
      const store = new S3Storage(config);
      const second = new S3Storage(config);
      return { store, second, close: async () => void (await Promise.all([store.close(), second.close()])) };
    },
    options: {
      signedUrls: true,
      largeBytes: LARGE,
      serverTearsConcurrentPuts: "s3rver writes an object's bytes and metadata in place and fails some racing requests (AWS S3, MinIO, R2 replace objects atomically)",
    },
  },
];

for (const driver of drivers) describeStorageContract(driver.name, driver.factory, driver.options);

describe('s3 storage driver', { concurrency: true }, () => {
  it('is what FILESYSTEM_DISK=s3 picks, with the guides\' AWS_* variables', async () => {
    const env = s3.env('some-bucket');
    const config = buildConfig(tmpdir(), env);
    assert.deepEqual(config.filesystem.s3, {
      bucket: 'some-bucket',
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      endpoint: s3.endpoint,
      forcePathStyle: true,
    });
    const storage = await createStorage(config);
    assert.ok(storage instanceof S3Storage);
    assert.equal(storage.driver, 's3');
    await storage.close();
  });

  it('names the missing or bad variable at startup', () => {
    const problems = (env: Record<string, string>): string => {
      try {
        buildConfig(tmpdir(), env);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
      }
      return 'no error';
    };
    const full = s3.env('some-bucket');
    assert.match(problems({ ...full, AWS_BUCKET: '' }), /AWS_BUCKET: is required when FILESYSTEM_DISK=s3/);
    assert.match(problems({ FILESYSTEM_DISK: 's3' }), /AWS_BUCKET: is required[\s\S]*AWS_DEFAULT_REGION: is required/);
    assert.match(problems({ ...full, AWS_SECRET_ACCESS_KEY: '' }), /AWS_SECRET_ACCESS_KEY: is required with AWS_ACCESS_KEY_ID/);
    assert.match(problems({ ...full, AWS_BUCKET: 'Not_A_Bucket' }), /AWS_BUCKET/);
    assert.match(problems({ ...full, AWS_ENDPOINT: 'minio:9000' }), /AWS_ENDPOINT/);
    assert.match(problems({ ...full, AWS_USE_PATH_STYLE_ENDPOINT: 'maybe' }), /AWS_USE_PATH_STYLE_ENDPOINT/);
    assert.doesNotMatch(problems({ ...full, AWS_SECRET_ACCESS_KEY: 'x'.repeat(10), AWS_BUCKET: 'BAD' }), /xxxxxxxxxx/, 'a secret is never echoed');
    // Without credentials the SDK's default chain (instance role) is used: not an error.
    assert.equal(problems({ FILESYSTEM_DISK: 's3', AWS_BUCKET: 'b-1', AWS_DEFAULT_REGION: 'eu-west-3' }), 'no error');
  });

  it('pings the bucket, and fails clearly when it is missing', async (t) => {
    const good = new S3Storage(s3.config(await s3.createBucket()));
    const missing = new S3Storage(s3.config('no-such-bucket-here'));
    t.after(() => Promise.all([good.close(), missing.close()]));
    await good.ping();
    await assert.rejects(missing.ping(), /FILESYSTEM_DISK=s3.*no-such-bucket-here \(AWS_BUCKET\): no such bucket/);
  });
});

describe('local storage driver', { concurrency: true }, () => {
  function setup(t: TestContext) {
    const disk = tempDisk();
    t.after(() => disk.close());
    return { ...disk, store: new LocalStorage(disk.root) };
  }

  it('keeps objects as plain files under the root, and leaves no temp files', async (t) => {
    const { root, store } = setup(t);
    await store.put('avatars/7/original', Buffer.from('png bytes'), { contentType: 'image/png' });
    await store.put('avatars/7/original', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
    assert.equal(readFileSync(join(root, 'avatars', '7', 'original'), 'utf8'), 'jpeg bytes');
    assert.deepEqual(readdirSync(join(root, 'avatars', '7')).sort(), ['.original.meta.json', 'original']);
    await store.delete('avatars/7/original');
    assert.deepEqual(readdirSync(join(root, 'avatars', '7')), []);
  });

  it('writes nothing outside its root and reads nothing there, whatever the key', async (t) => {
    const { parent, root, store } = setup(t);
    writeFileSync(join(parent, 'secret'), 'do not serve');
    mkdirSync(root, { recursive: true });
    for (const key of [...INVALID_KEYS, '../secret', 'app/../../secret', '%2e%2e/secret']) {
      await assert.rejects(store.put(key, Buffer.from('evil'), { contentType: 'text/plain' }), InvalidStorageKeyError);
      await assert.rejects(store.get(key), InvalidStorageKeyError);
    }
    assert.deepEqual(readdirSync(parent).sort(), ['app', 'secret']);
    assert.deepEqual(readdirSync(root), []);
    assert.equal(readFileSync(join(parent, 'secret'), 'utf8'), 'do not serve');
  });

  it('explains why an invalid key is refused', async (t) => {
    const { store } = setup(t);
    await assert.rejects(store.get('a/../b'), /storage key "a\/..\/b": has a "\.\." segment/);
    await assert.rejects(store.get('/abs'), /is absolute/);
    await assert.rejects(store.get('a//b'), /empty segment/);
  });

  it('refuses a key that is both an object and a folder of objects', async (t) => {
    const { store } = setup(t);
    await store.put('a', Buffer.from('file'), { contentType: 'text/plain' });
    await assert.rejects(store.put('a/b', Buffer.from('x'), { contentType: 'text/plain' }), StorageKeyConflictError);
    await store.put('x/y', Buffer.from('file'), { contentType: 'text/plain' });
    await assert.rejects(store.put('x', Buffer.from('x'), { contentType: 'text/plain' }), StorageKeyConflictError);
    await store.delete('x'); // a folder is not an object: nothing to delete
    assert.equal((await store.get('x/y'))?.body.toString(), 'file');
    assert.equal((await store.get('a'))?.body.toString(), 'file');
  });

  it('serves a file without a matching sidecar as application/octet-stream', async (t) => {
    const { root, store } = setup(t);
    mkdirSync(join(root, 'drop'), { recursive: true });
    writeFileSync(join(root, 'drop', 'in'), 'copied by hand');
    assert.deepEqual(await store.get('drop/in'), { body: Buffer.from('copied by hand'), contentType: UNKNOWN_CONTENT_TYPE });
    await store.put('drop/in', Buffer.from('v1'), { contentType: 'text/plain' });
    // Replaced behind the driver's back: the sidecar describes another version of the file.
    writeFileSync(join(root, 'drop', 'in'), 'v2 by hand');
    assert.deepEqual(await store.get('drop/in'), { body: Buffer.from('v2 by hand'), contentType: UNKNOWN_CONTENT_TYPE });
  });

  it('pings a root it can create, and fails clearly on one it cannot', async (t) => {
    const { parent, root, store } = setup(t);
    await store.ping();
    writeFileSync(join(parent, 'a-file'), '');
    await assert.rejects(new LocalStorage(join(parent, 'a-file', 'app')).ping(), /FILESYSTEM_DISK=local.*cannot read and write/);
    assert.ok(readdirSync(root));
  });

  it('is what FILESYSTEM_DISK=local picks, rooted at storage/app', async (t) => {
    const { parent } = setup(t);
    const config = buildConfig(parent, { STORAGE_PATH: parent, FILESYSTEM_DISK: 'local' });
    const storage = await createStorage(config);
    assert.ok(storage instanceof LocalStorage);
    assert.equal(storage.driver, 'local');
    assert.equal(storage.root, join(parent, 'app'));
  });
});
