import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateAppKey } from '../../src/config/app-key.ts';
import type { ConfigError, RawEnv } from '../../src/config/env-files.ts';
import { configError as configErrorIn, loadConfig, projectFolders } from './support.ts';

const project = projectFolders('marg-config-');

/** The ConfigError loadConfig throws; fails the test when it does not throw one. */
function configError(env: RawEnv, cwd = project()): ConfigError {
  return configErrorIn(env, cwd);
}

describe('config defaults', () => {
  it('serves marg.localhost on 8080 with a shared session cookie for every app host', () => {
    const cwd = project();
    const config = loadConfig({ cwd, env: {} });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.domain, 'marg.localhost');
    assert.equal(config.env, 'development');
    assert.equal(config.appKey, undefined);
    assert.equal(config.storagePath, join(cwd, 'storage'));
    assert.deepEqual(config.session, { driver: 'sqlite', lifetimeSeconds: 120 * 60, domain: '.marg.localhost', cookie: 'marg_session', encrypt: true });
    assert.deepEqual(config.cache, { store: 'sqlite', prefix: 'marg', maxEntries: 10_000 });
    assert.equal(config.lockStore, 'sqlite');
    assert.equal(config.rateLimitStore, 'sqlite');
    assert.deepEqual(config.databases.flow, { connection: 'sqlite', file: join(cwd, 'storage', 'database', 'flow.sqlite') });
  });

  it('derives the lifetime in seconds and the cookie domain from MARG_DOMAIN', () => {
    const config = loadConfig({ cwd: project(), env: { SESSION_LIFETIME: '30', MARG_DOMAIN: 'apps.example.test' } });
    assert.equal(config.session.lifetimeSeconds, 1800);
    assert.equal(config.session.domain, '.apps.example.test');
    assert.equal(loadConfig({ cwd: project(), env: { SESSION_DOMAIN: '.other.test' } }).session.domain, '.other.test');
  });

  it('lets locks and rate limits follow CACHE_STORE unless set themselves', () => {
    const followed = loadConfig({ cwd: project(), env: { CACHE_STORE: 'memory' } });
    assert.equal(followed.lockStore, 'memory');
    assert.equal(followed.rateLimitStore, 'memory');
    const own = loadConfig({ cwd: project(), env: { CACHE_STORE: 'memory', LOCK_STORE: 'sqlite', RATE_LIMIT_STORE: 'sqlite' } });
    assert.equal(own.lockStore, 'sqlite');
    assert.equal(own.rateLimitStore, 'sqlite');
  });

  it('keeps an absolute STORAGE_PATH and resolves a relative one against the project folder', () => {
    const cwd = project();
    assert.equal(loadConfig({ cwd, env: { STORAGE_PATH: '/srv/marg' } }).storagePath, '/srv/marg');
    assert.equal(loadConfig({ cwd, env: { STORAGE_PATH: 'data/here' } }).storagePath, join(cwd, 'data', 'here'));
  });
});

describe('config sources', () => {
  it('layers .env.shared < .env < the process environment', () => {
    const cwd = project({
      '.env.shared': 'PORT=1111\nMARG_DOMAIN=shared.test\nLOG_LEVEL=warn\n',
      '.env': 'PORT=2222\nMARG_DOMAIN=dotenv.test\n',
    });
    const config = loadConfig({ cwd, env: { PORT: '3333' } });
    assert.equal(config.port, 3333, 'the process environment wins');
    assert.equal(config.domain, 'dotenv.test', '.env beats .env.shared');
    assert.equal(config.logLevel, 'warn', '.env.shared fills what nothing else sets');
    assert.equal(loadConfig({ cwd, env: {} }).port, 2222);
  });

  it('reads APP_KEY from APP_KEY_FILE, trimming the trailing newline', () => {
    const key = generateAppKey();
    const cwd = project({ 'app_key': `${key}\n`, 'app_key_crlf': `${key}\r\n` });
    assert.equal(loadConfig({ cwd, env: { APP_KEY_FILE: join(cwd, 'app_key') } }).appKey, key);
    assert.equal(loadConfig({ cwd, env: { APP_KEY_FILE: join(cwd, 'app_key_crlf') } }).appKey, key);
    // The file may be named in .env as well, and APP_KEY itself wins over it.
    const viaDotenv = project({ '.env': `APP_KEY_FILE=${join(cwd, 'app_key')}\n` });
    assert.equal(loadConfig({ cwd: viaDotenv, env: {} }).appKey, key);
    const direct = generateAppKey();
    assert.equal(loadConfig({ cwd, env: { APP_KEY: direct, APP_KEY_FILE: join(cwd, 'app_key') } }).appKey, direct);
    assert.equal(loadConfig({ cwd, env: { APP_KEY: '', APP_KEY_FILE: join(cwd, 'app_key') } }).appKey, key, 'an empty APP_KEY is unset');
  });

  it('lets a secret file in the real environment beat a key left in .env', () => {
    const mounted = generateAppKey();
    const cwd = project({ '.env': `APP_KEY=${generateAppKey()}\n`, 'mounted_key': `${mounted}\n` });
    assert.equal(loadConfig({ cwd, env: { APP_KEY_FILE: join(cwd, 'mounted_key') } }).appKey, mounted);
  });

  it('reports an unreadable APP_KEY_FILE by name', () => {
    const root = project();
    const missing = join(root, 'no-such-secret');
    const error = configError({ APP_KEY_FILE: missing });
    assert.deepEqual(error.problems, [`APP_KEY_FILE: cannot read ${missing} (ENOENT)`]);
    assert.match(error.message, /^Invalid configuration:\n {2}- APP_KEY_FILE: /);
    assert.deepEqual(configError({ APP_KEY_FILE: root }).problems, [`APP_KEY_FILE: cannot read ${root} (EISDIR)`]);
  });

  it('leaves other programs’ *_FILE variables alone', () => {
    const config = loadConfig({ cwd: project(), env: { TF_CLI_CONFIG_FILE: '/nonexistent', DOCKER_CERT_FILE: '/nonexistent/either' } });
    assert.equal(config.port, 8080);
    assert.equal(config.raw.TF_CLI_CONFIG, undefined);
    assert.equal(config.raw.TF_CLI_CONFIG_FILE, '/nonexistent');
  });

  it('treats an empty value as unset', () => {
    const cwd = project({ '.env': 'SESSION_DRIVER=\nMARG_DOMAIN=\n' });
    const config = loadConfig({ cwd, env: { PORT: '', APP_KEY: '', SESSION_ENCRYPT: '', SESSION_LIFETIME: '' } });
    assert.equal(config.port, 8080);
    assert.equal(config.appKey, undefined);
    assert.equal(config.session.driver, 'sqlite');
    assert.equal(config.session.encrypt, true);
    assert.equal(config.session.lifetimeSeconds, 7200);
    assert.equal(config.domain, 'marg.localhost');
  });

  it('converts the accepted spellings', () => {
    const config = loadConfig({ cwd: project(), env: { PORT: '0', SESSION_ENCRYPT: 'false', SHUTDOWN_DRAIN_SECONDS: '2.5' } });
    assert.equal(config.port, 0);
    assert.equal(config.session.encrypt, false);
    assert.equal(config.http.drainSeconds, 2.5);
    assert.equal(loadConfig({ cwd: project(), env: { SESSION_ENCRYPT: 'true' } }).session.encrypt, true);
  });
});

describe('config validation', () => {
  const SECRET = 'not-a-key-Zq7xS3cr3t';

  it('lists every problem in one ConfigError, each naming its variable', () => {
    const error = configError({
      PORT: 'abc',
      SESSION_DRIVER: 'foo',
      SESSION_ENCRYPT: 'maybe',
      MARG_DOMAIN: 'Bad_Domain',
      APP_KEY: SECRET,
      SESSION_LIFETIME: '0',
    });
    const byName = Object.fromEntries(error.problems.map((p) => [p.slice(0, p.indexOf(':')), p]));
    assert.deepEqual(Object.keys(byName).sort(), ['APP_KEY', 'MARG_DOMAIN', 'PORT', 'SESSION_DRIVER', 'SESSION_ENCRYPT', 'SESSION_LIFETIME']);
    assert.equal(byName.PORT, 'PORT: expected integer (got "abc")');
    assert.equal(byName.SESSION_DRIVER, 'SESSION_DRIVER: must be one of sqlite, memory, redis (got "foo")');
    assert.equal(byName.SESSION_ENCRYPT, 'SESSION_ENCRYPT: expected boolean (got "maybe")');
    assert.equal(byName.MARG_DOMAIN, 'MARG_DOMAIN: has the wrong format (got "Bad_Domain")');
    assert.match(byName.APP_KEY!, /^APP_KEY: has the wrong format \(base64:<32 random bytes>; run `marg key:generate`\)$/);
    assert.match(byName.SESSION_LIFETIME!, /^SESSION_LIFETIME: expected integer to be greater or equal to 1/);
    for (const problem of error.problems) assert.ok(error.message.includes(`  - ${problem}`), problem);
  });

  it('refuses a port out of range', () => {
    assert.deepEqual(configError({ PORT: '70000' }).problems, ['PORT: expected integer to be less or equal to 65535 (got "70000")']);
    assert.deepEqual(configError({ PORT: '-1' }).problems, ['PORT: expected integer to be greater or equal to 0 (got "-1")']);
  });

  it('refuses numbers that are not plainly written, rather than truncating them', () => {
    // Loose conversion would read these as 8080, 1, 1 and 31.
    for (const port of ['8080.9', '1e3', 'true', '0x1F']) {
      assert.deepEqual(configError({ PORT: port }).problems, [`PORT: expected integer (got ${JSON.stringify(port)})`], port);
    }
    assert.deepEqual(configError({ SHUTDOWN_DRAIN_SECONDS: 'yes' }).problems, ['SHUTDOWN_DRAIN_SECONDS: expected number (got "yes")']);
  });

  it('reports a bad value from .env just the same', () => {
    const error = configError({}, project({ '.env': 'SESSION_DRIVER=redis-ish\n' }));
    assert.deepEqual(error.problems, ['SESSION_DRIVER: must be one of sqlite, memory, redis (got "redis-ish")']);
  });

  it('never echoes a secret, wherever it came from', () => {
    const inline = configError({ APP_KEY: SECRET, PORT: 'abc' });
    assert.ok(!inline.message.includes(SECRET));
    assert.ok(!inline.message.includes('Zq7x'));
    const cwd = project({ key: `${SECRET}\n`, '.env': `APP_KEY=${SECRET}x\n` });
    const fromFile = configError({ APP_KEY: '', APP_KEY_FILE: join(cwd, 'key') }, project());
    assert.ok(!fromFile.message.includes('Zq7x'));
    const fromDotenv = configError({}, cwd);
    assert.equal(fromDotenv.problems.length, 1);
    assert.ok(!fromDotenv.message.includes('Zq7x'));
  });
});
