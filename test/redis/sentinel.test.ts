import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { buildConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { keysUnder, uniqueRedisPrefix } from '../contract/redis-fixture.ts';
import { privateRedisAvailable, redisSentinelAvailable, startRedisSentinel, startRedisServer, type PrivateRedis } from '../support/redis-server.ts';

const [server, sentinel] = [await privateRedisAvailable(), await redisSentinelAvailable()];

describe('Redis through Sentinel (REDIS_SENTINELS)', { skip: server.skipReason ?? sentinel.skipReason }, () => {
  let master: PrivateRedis | undefined;
  let watcher: PrivateRedis | undefined;
  let services: Services | undefined;
  let direct: Redis | undefined;
  let config: Config;
  const storage = mkdtempSync(join(tmpdir(), 'marg-sentinel-test-'));
  const prefix = uniqueRedisPrefix();

  before(async () => {
    master = await startRedisServer();
    watcher = await startRedisSentinel(master.port, 'mymaster');
    // REDIS_PORT points nowhere useful: only the Sentinel may lead the client to the master.
    config = buildConfig(storage, {
      STORAGE_PATH: storage,
      SESSION_DRIVER: 'redis',
      CACHE_STORE: 'redis',
      REDIS_PORT: '1',
      REDIS_SENTINELS: `127.0.0.1:${watcher.port}`,
      REDIS_SENTINEL_SERVICE: 'mymaster',
      REDIS_PREFIX: prefix,
    });
    services = await createServices(config, createLogger({ logLevel: 'silent' }));
    direct = new Redis({ host: '127.0.0.1', port: master.port, lazyConnect: true });
  });

  after(async () => {
    await services?.close();
    direct?.disconnect();
    await watcher?.stop();
    await master?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  it('reads the sentinel list and service from the environment', () => {
    assert.deepEqual(config.redis.sentinels, [{ host: '127.0.0.1', port: watcher!.port }]);
    assert.equal(config.redis.sentinelService, 'mymaster');
  });

  it('is reachable at boot through the Sentinel', async () => {
    assert.ok(services!.redis, 'a Redis driver is configured, so the connection is in use');
    await services!.redis.ready();
  });

  it('stores and reads cache entries and sessions on the master the Sentinel names', async () => {
    await services!.cache.set('greeting', { hello: 'sentinel' }, 60);
    assert.deepEqual(await services!.cache.get('greeting'), { hello: 'sentinel' });
    assert.equal(await services!.cache.increment('hits'), 1);
    await services!.sessions.write('session-id-1', 'sealed-payload', 60);
    assert.equal(await services!.sessions.read('session-id-1'), 'sealed-payload');

    // The keys really are on that master, under REDIS_PREFIX.
    assert.deepEqual(await keysUnder(direct!, prefix), [`${prefix}cache:marg:greeting`, `${prefix}cache:marg:hits`, `${prefix}session:session-id-1`]);
    assert.equal(await direct!.get(`${prefix}session:session-id-1`), 'sealed-payload');

    await services!.sessions.destroy('session-id-1');
    assert.equal(await services!.sessions.read('session-id-1'), undefined);
  });
});
