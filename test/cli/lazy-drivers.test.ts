import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RawEnv } from '../../src/config/env-files.ts';
import { PROJECT_ROOT } from '../../src/support/project-root.ts';
import { redisService, redisSettings, uniqueRedisPrefix } from '../contract/redis-fixture.ts';
import { cleanupCli, migratedProject, tempDir } from '../support/cli.ts';
import { startServe } from '../support/serve-node.ts';
import { deleteRedisKeys } from '../support/server-databases.ts';

// A node loads only the drivers its config picks (issue 19: boot to ready ≤ 1 s). Each port
// manager imports its driver with import(), and what only some requests or jobs use (file type
// sniffing, QR codes, argon2, the scheduler, backups, mail, CSV reports; pino-pretty, only for a
// terminal) loads on first use. Checked on a real `marg serve`: a resolve hook
// (test/support/package-trace.mjs) writes down every npm package the process imports until it is ready.

/** Packages an embedded web node must not load at boot: other ports' drivers, and per-request libraries. */
const NOT_ON_EMBEDDED = [
  'ioredis',
  'bullmq',
  'pg',
  'mysql2',
  '@elastic/elasticsearch',
  '@opensearch-project/opensearch',
  '@aws-sdk/client-s3',
  'sharp',
  'file-type',
  'nodemailer',
  'qrcode',
  'croner',
  'tar-stream',
  '@node-rs/argon2',
  'csv-stringify',
  'pino-pretty',
];

after(cleanupCli);

/** The packages `marg serve` in `cwd` with `env` imported until "web role ready". */
async function packagesAtReady(cwd: string, env: RawEnv): Promise<Set<string>> {
  const trace = join(tempDir('marg-trace-'), 'packages.txt');
  const hook = join(PROJECT_ROOT, 'test/support/package-trace.mjs');
  const node = await startServe('traced', cwd, { ...env, MARG_PACKAGE_TRACE: trace, NODE_OPTIONS: `--import ${hook}` });
  try {
    return new Set(readFileSync(trace, 'utf8').split('\n').filter(Boolean));
  } finally {
    await node.stop();
  }
}

describe('marg serve loads only the drivers its config picks', () => {
  it('on the embedded defaults: no Redis, queue, server database, search, S3 or per-request package', async () => {
    const loaded = await packagesAtReady(await migratedProject(), {});
    // The hook works: the web server and the embedded database driver are there.
    for (const needed of ['fastify', 'better-sqlite3']) assert.ok(loaded.has(needed), `${needed} in ${[...loaded].join(', ')}`);
    assert.deepEqual(NOT_ON_EMBEDDED.filter((name) => loaded.has(name)), []);
  });

  it('on Redis session/cache/queue: ioredis and bullmq, still no pg nor mysql2', async (t) => {
    const redis = await redisService();
    if (!redis.available) return t.skip(redis.skipReason);
    const prefix = uniqueRedisPrefix();
    t.after(() => deleteRedisKeys(redisSettings(), prefix));
    const loaded = await packagesAtReady(await migratedProject(), { SESSION_DRIVER: 'redis', CACHE_STORE: 'redis', QUEUE_CONNECTION: 'redis', REDIS_PREFIX: prefix });
    for (const needed of ['ioredis', 'bullmq']) assert.ok(loaded.has(needed), `${needed} in ${[...loaded].join(', ')}`);
    assert.deepEqual(['pg', 'mysql2', '@elastic/elasticsearch', 'sharp'].filter((name) => loaded.has(name)), []);
  });
});
