import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { APPS } from '../../apps/index.ts';
import { writeAppKey } from '../../src/config/app-key.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import type { ServerDatabaseConfig } from '../../src/database/settings.ts';
import { appLayout } from '../../src/platform/app-registry.ts';
import { redisOptions } from '../../src/redis/connection.ts';
import { cleanEnv, describeResult, runMarg, tempDir, withCliServices } from '../support/cli.ts';
import { deleteRedisKeys, dropServerDatabase, uniqueTestStem } from '../support/server-databases.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { S3Storage } from '../../src/storage/s3.ts';
import { rowCount, seedEverything, snapshotData } from './support.ts';

export interface ServerUnderTest {
  readonly name: string;
  readonly skip: string | undefined;
  readonly env: RawEnv;
  /** Objects on S3 (FILESYSTEM_DISK=s3) and the backup to S3 (`--to s3://…`), both on an s3rver started here. */
  readonly s3?: boolean;
}

/** The round trip through the CLI on database servers (and S3): seed, back up, drop everything, restore, compare (--force over data: round-trip-sqlite). */
export function describeServerRoundTrip(server: ServerUnderTest): void {
  describe(`backup and restore round trip on ${server.name} (real CLI)`, { skip: server.skip }, () => {
    const stem = uniqueTestStem();
    let env: RawEnv = { ...server.env, DB_DATABASE: stem, REDIS_PREFIX: `${stem}_` };
    const dir = tempDir('marg-backup-server-');
    writeAppKey(dir);
    const config = loadConfig({ cwd: dir, env: cleanEnv(env), layout: appLayout(APPS) });
    const databases = Object.values(config.databases) as ServerDatabaseConfig[];
    let s3: TestS3Server | undefined;
    let to = 'backups';
    before(async () => {
      if (!server.s3) return;
      s3 = await startS3Server();
      const files = await s3.createBucket();
      env = { ...env, ...s3.env(files) };
      to = `s3://${await s3.createBucket()}/marg/nightly`;
    });
    const wipe = async () => {
      await Promise.all(databases.map((d) => dropServerDatabase(d)));
      await deleteRedisKeys(config.redis, `${stem}_`);
      rmSync(join(dir, 'storage', 'app'), { recursive: true, force: true });
      // Every object of the bucket, through the driver under test's own listing.
      if (s3) await withCliServices(dir, env, async (services) => {
        for await (const object of services.storage.list('')) await services.storage.delete(object.key);
      });
    };
    after(async () => {
      await wipe();
      await s3?.close();
    });

    it('backs up, is wiped (databases dropped), restores every row, every file and every queue key', async () => {
      await seedEverything(dir, env);
      if (env.QUEUE_CONNECTION === 'redis') {
        await withCliServices(dir, env, async (services) => {
          for (let i = 0; i < 5; i++) await services.queue.dispatch('links.clicks', { counts: [] }, { delayMs: 3_600_000 + i });
        });
      }
      const seeded = await snapshotData(dir, env);
      const queueKeys = await redisKeys(config.redis, `${stem}_queue`);
      assert.ok(rowCount(seeded, 'rbac', 'users') >= 2 && rowCount(seeded, 'links', 'link_clicks_daily') > 0);
      if (env.QUEUE_CONNECTION === 'redis') assert.ok(Object.keys(queueKeys).length > 0, 'the queue has keys in Redis');

      if (s3) {
        assert.ok(Object.keys(seeded.files).some((key) => key.startsWith('flow/attachments/')), 'attachments were seeded');
        assert.equal(existsSync(join(dir, 'storage', 'app')), false, 'every object is in the bucket, none on the local disk');
      }

      const backup = await runMarg(['backup', '--to', to], { cwd: dir, env, timeoutMs: 120_000 });
      assert.equal(backup.code, 0, describeResult(backup));
      assert.match(backup.stderr, /^database flow: .*database-flow\.sql\.gz$/m);
      assert.match(backup.stderr, new RegExp(`^storage \\(${s3 ? 's3' : 'local'}\\): `, 'm'));
      if (env.QUEUE_CONNECTION === 'redis') assert.match(backup.stderr, /^redis queue: .*redis-queue\.jsonl\.gz$/m);
      const name = /^Backup (marg-\d{8}T\d{6}Z) written to /m.exec(backup.stdout)?.[1];
      assert.ok(name, describeResult(backup));

      await wipe();
      if (s3) {
        const bucket = new S3Storage(s3.config(env.AWS_BUCKET!));
        try {
          for await (const object of bucket.list('')) assert.fail(`the wipe left ${object.key} in the bucket`);
        } finally {
          await bucket.close();
        }
      }
      const restore = await runMarg(['restore', `${to}/${name}`], { cwd: dir, env, timeoutMs: 120_000 });
      assert.equal(restore.code, 0, describeResult(restore));
      assert.match(restore.stdout, new RegExp(`created database ${stem}_flow`));
      assert.deepEqual(await snapshotData(dir, env), seeded);
      assert.deepEqual(await redisKeys(config.redis, `${stem}_queue`), queueKeys);
    });
  });
}

/** key → type and contents (hash fields and set members sorted: a restore may re-order them), for every key under `prefix`. */
async function redisKeys(settings: Parameters<typeof redisOptions>[0], prefix: string): Promise<Record<string, string>> {
  const client = new Redis({ ...redisOptions(settings), lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  try {
    const out: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) out[key] = await contents(client, key);
    } while (cursor !== '0');
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  } finally {
    client.disconnect();
  }
}

async function contents(client: Redis, key: string): Promise<string> {
  const type = await client.type(key);
  const value =
    type === 'string' ? await client.get(key)
    : type === 'hash' ? Object.entries(await client.hgetall(key)).sort()
    : type === 'set' ? (await client.smembers(key)).sort()
    : type === 'zset' ? await client.zrange(key, 0, -1, 'WITHSCORES')
    : type === 'list' ? await client.lrange(key, 0, -1)
    : type === 'stream' ? await client.xrange(key, '-', '+')
    : `unexpected type`;
  return `${type} ${JSON.stringify(value)}`;
}
