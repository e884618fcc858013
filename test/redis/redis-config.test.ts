import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildConfig, type Config } from '../../src/config/config.ts';
import { ConfigError, type RawEnv } from '../../src/config/env-files.ts';
import { describeRedis, redisOptions } from '../../src/redis/connection.ts';

const cwd = mkdtempSync(join(tmpdir(), 'marg-redis-config-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

const SECRET = 'Zq7x-redis-s3cret';

/** Exactly `env` (not the test runner's environment), as config.ts reads it. */
function redisConfig(env: RawEnv): Config['redis'] {
  return buildConfig(cwd, env).redis;
}

/** The problems of the ConfigError buildConfig throws; fails the test when it does not throw one. */
function problems(env: RawEnv): string[] {
  try {
    buildConfig(cwd, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('Redis settings', () => {
  it('defaults to 127.0.0.1:6379, database 0, prefix marg_database_, no Sentinel', () => {
    assert.deepEqual(redisConfig({}), {
      host: '127.0.0.1',
      port: 6379,
      username: undefined,
      password: undefined,
      db: 0,
      tls: false,
      prefix: 'marg_database_',
      sentinels: [],
      sentinelService: 'mymaster',
      sentinelPassword: undefined,
    });
  });

  it('reads REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_DB and REDIS_PREFIX', () => {
    const redis = redisConfig({ REDIS_HOST: 'cache.internal', REDIS_PORT: '6380', REDIS_USERNAME: 'marg', REDIS_PASSWORD: SECRET, REDIS_DB: '3', REDIS_PREFIX: 'prod:' });
    assert.deepEqual(
      { host: redis.host, port: redis.port, username: redis.username, password: redis.password, db: redis.db, tls: redis.tls, prefix: redis.prefix },
      { host: 'cache.internal', port: 6380, username: 'marg', password: SECRET, db: 3, tls: false, prefix: 'prod:' },
    );
  });

  it('lets REDIS_URL override REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD and REDIS_DB', () => {
    const redis = redisConfig({
      REDIS_URL: 'redis://user:pw@host:6380/2',
      REDIS_HOST: 'ignored.internal',
      REDIS_PORT: '1234',
      REDIS_USERNAME: 'ignored',
      REDIS_PASSWORD: 'ignored',
      REDIS_DB: '5',
    });
    assert.deepEqual(
      { host: redis.host, port: redis.port, username: redis.username, password: redis.password, db: redis.db, tls: redis.tls },
      { host: 'host', port: 6380, username: 'user', password: 'pw', db: 2, tls: false },
    );
  });

  it('turns on TLS for rediss://, and takes the default port when the URL has none', () => {
    const redis = redisConfig({ REDIS_URL: 'rediss://cache.example.test' });
    assert.equal(redis.tls, true);
    assert.equal(redis.host, 'cache.example.test');
    assert.equal(redis.port, 6379);
    assert.deepEqual(redisOptions(redis).tls, {});
    assert.equal(redisOptions(redisConfig({ REDIS_URL: 'redis://cache.example.test' })).tls, undefined);
  });

  it('decodes a percent-encoded password in REDIS_URL, and keeps the separate variables for what the URL leaves out', () => {
    const redis = redisConfig({ REDIS_URL: 'redis://:p%40ss%3Aw%2Frd@10.1.2.3', REDIS_USERNAME: 'fallback', REDIS_DB: '4' });
    assert.equal(redis.password, 'p@ss:w/rd');
    assert.equal(redis.username, 'fallback');
    assert.equal(redis.host, '10.1.2.3');
    assert.equal(redis.db, 4);
  });

  it('parses REDIS_SENTINELS (default port 26379), REDIS_SENTINEL_SERVICE and REDIS_SENTINEL_PASSWORD', () => {
    const redis = redisConfig({
      REDIS_SENTINELS: '10.0.0.1:26380, 10.0.0.2 ,sentinel-3.internal:26381',
      REDIS_SENTINEL_SERVICE: 'cache-master',
      REDIS_SENTINEL_PASSWORD: SECRET,
    });
    assert.deepEqual(redis.sentinels, [
      { host: '10.0.0.1', port: 26380 },
      { host: '10.0.0.2', port: 26379 },
      { host: 'sentinel-3.internal', port: 26381 },
    ]);
    assert.equal(redis.sentinelService, 'cache-master');
    const options = redisOptions(redis);
    assert.deepEqual(options.sentinels, redis.sentinels);
    assert.equal(options.name, 'cache-master');
    assert.equal(options.sentinelPassword, SECRET);
    assert.equal(describeRedis(redis), 'sentinel cache-master via 10.0.0.1:26380,10.0.0.2:26379,sentinel-3.internal:26381');
  });

  it('passes the credentials and database to the client, but never into a description', () => {
    const redis = redisConfig({ REDIS_URL: `redis://marg:${SECRET}@cache.internal:6390/7` });
    const options = redisOptions(redis);
    assert.deepEqual(
      { host: options.host, port: options.port, username: options.username, password: options.password, db: options.db },
      { host: 'cache.internal', port: 6390, username: 'marg', password: SECRET, db: 7 },
    );
    assert.equal(describeRedis(redis), 'cache.internal:6390/7');
  });
});

describe('bad Redis settings', () => {
  it('names REDIS_PORT when it is not a port', () => {
    assert.deepEqual(problems({ REDIS_PORT: 'abc' }), ['REDIS_PORT: expected integer (got "abc")']);
    assert.deepEqual(problems({ REDIS_PORT: '70000' }), ['REDIS_PORT: expected integer to be less or equal to 65535 (got "70000")']);
  });

  it('names REDIS_SENTINELS when it is not host:port,host:port', () => {
    for (const value of ['a:b:c', 'a:b', 'a,,b', ':26379', 'a:123456']) {
      assert.deepEqual(problems({ REDIS_SENTINELS: value }), [`REDIS_SENTINELS: has the wrong format (host:port,host:port) (got ${JSON.stringify(value)})`], value);
    }
  });

  it('names REDIS_DB, REDIS_PREFIX and a REDIS_URL that is not redis:// or rediss://', () => {
    assert.deepEqual(problems({ REDIS_DB: '256' }), ['REDIS_DB: expected integer to be less or equal to 255 (got "256")']);
    assert.deepEqual(problems({ REDIS_PREFIX: 'has space' }), ['REDIS_PREFIX: has the wrong format (got "has space")']);
    assert.deepEqual(problems({ REDIS_URL: 'cache.internal:6379' }), ['REDIS_URL: has the wrong format (redis://[user:password@]host:port/db)']); // a URL may hold credentials: never echoed
  });

  it('lists several bad Redis variables at once, and never echoes REDIS_PASSWORD or REDIS_SENTINEL_PASSWORD', () => {
    let error: unknown;
    try {
      buildConfig(cwd, { REDIS_PORT: 'abc', REDIS_SENTINELS: 'a:b:c', REDIS_PASSWORD: SECRET, REDIS_SENTINEL_PASSWORD: SECRET });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.slice(0, p.indexOf(':'))).sort(), ['REDIS_PORT', 'REDIS_SENTINELS']);
    assert.ok(!error.message.includes('Zq7x'), error.message);
  });

  it('never echoes the password inside a rejected REDIS_URL', () => {
    const [problem] = problems({ REDIS_URL: `http://marg:${SECRET}@cache.internal:6379` });
    assert.match(problem!, /^REDIS_URL: /);
    assert.ok(!problem!.includes('Zq7x'), problem);
  });

  it('names REDIS_URL when its host or port cannot be parsed', () => {
    for (const url of ['redis://cache.internal:notaport', 'redis://cache.internal:99999', 'redis://']) {
      const [problem] = problems({ REDIS_URL: url });
      assert.match(problem!, /^REDIS_URL: /, url);
    }
  });
});
