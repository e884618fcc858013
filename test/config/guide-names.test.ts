import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RawEnv } from '../../src/config/env-files.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { configError, loadConfig, projectFolders } from './support.ts';

const project = projectFolders('marg-guide-names-');
const load = (env: RawEnv, cwd = project()) => loadConfig({ cwd, env });
const problems = (env: RawEnv, cwd = project()): string[] => configError(env, cwd).problems;

describe("the guides' names as aliases", () => {
  it('CACHE_DRIVER sets CACHE_STORE, in Laravel’s values or Marg’s', () => {
    assert.equal(load({ CACHE_DRIVER: 'redis' }).cache.store, 'redis');
    assert.equal(load({ CACHE_DRIVER: 'file' }).cache.store, 'sqlite');
    assert.equal(load({ CACHE_DRIVER: 'array' }).cache.store, 'memory');
    assert.equal(load({ CACHE_DRIVER: 'memory' }).cache.store, 'memory');
    // The stores that follow the cache store follow it here too.
    assert.equal(load({ CACHE_DRIVER: 'redis' }).lockStore, 'redis');
  });

  it('refuses a CACHE_DRIVER Marg has no store for, naming it', () => {
    assert.deepEqual(problems({ CACHE_DRIVER: 'memcached' }), ['CACHE_DRIVER: must be one of redis, file, array (or Marg\'s sqlite, memory) (got "memcached")']);
    assert.match(problems({ CACHE_DRIVER: 'database' })[0]!, /^CACHE_DRIVER: Marg keeps no cache in the database/);
  });

  it('APP_ENV sets NODE_ENV: production and staging run as production, local as development', () => {
    assert.equal(load({ APP_ENV: 'production' }).env, 'production');
    assert.equal(load({ APP_ENV: 'staging' }).env, 'production');
    assert.equal(load({ APP_ENV: 'local' }).env, 'development');
    assert.equal(load({ APP_ENV: 'testing' }).env, 'test');
    assert.match(problems({ APP_ENV: 'qa' })[0]!, /^APP_ENV: must be one of production, staging, local, development, testing, test \(got "qa"\)$/);
  });

  it('<NAME>_DB_CONNECTION names the driver when it is one, and is the database’s own connection otherwise', () => {
    assert.equal(load({ RBAC_DB_CONNECTION: 'pgsql' }).databases.rbac!.connection, 'pgsql');
    assert.equal(load({ FLOW_DB_CONNECTION: 'mysql' }).databases.flow!.connection, 'mysql');
    // As in the guides: the connection is called after the database, the driver is given separately.
    const guide = load({ RBAC_DB_CONNECTION: 'rbac', RBAC_DB_DRIVER: 'mysql' });
    assert.equal(guide.databases.rbac!.connection, 'mysql');
    assert.deepEqual(guide.warnings, []);
    // A prefix that is no database of Marg's is some other program's variable.
    assert.deepEqual(load({ TELESCOPE_DB_CONNECTION: 'mysql' }).warnings, []);
  });

  it('RBAC_SESSION_DRIVER sets the one SESSION_DRIVER', () => {
    assert.equal(load({ RBAC_SESSION_DRIVER: 'redis' }).session.driver, 'redis');
    assert.equal(load({ RBAC_SESSION_DRIVER: 'redis', SESSION_DRIVER: 'redis' }).session.driver, 'redis');
  });

  it('RBAC_CACHE_ENABLED=false turns the RBAC cache off whatever RBAC_CACHE_TTL says', () => {
    assert.equal(load({ RBAC_CACHE_ENABLED: 'false' }).rbacCacheTtl, 0);
    assert.equal(load({ RBAC_CACHE_ENABLED: 'false', RBAC_CACHE_TTL: '3600' }).rbacCacheTtl, 0);
    assert.equal(load({ RBAC_CACHE_ENABLED: 'true', RBAC_CACHE_TTL: '600' }).rbacCacheTtl, 600);
    assert.equal(load({ RBAC_CACHE_ENABLED: 'true' }).rbacCacheTtl, 3600);
    assert.deepEqual(problems({ RBAC_CACHE_ENABLED: 'sometimes' }), ['RBAC_CACHE_ENABLED: must be true or false (got "sometimes")']);
  });

  it('reads the guides’ own .env.shared without a problem or a warning', () => {
    const cwd = project({
      '.env.shared': [
        'SESSION_DRIVER=redis', 'SESSION_PATH=/', 'CACHE_STORE=redis',
        'RBAC_DB_CONNECTION=rbac', 'RBAC_DB_DRIVER=mysql', 'RBAC_SESSION_DRIVER=redis', 'RBAC_SESSION_CONNECTION=default',
        'RBAC_CACHE_ENABLED=true', 'RBAC_CACHE_TTL=3600', 'QUEUE_CONNECTION=redis', 'APP_DEBUG=false', 'MYSQL_ROOT_PASSWORD=x', 'ES_JAVA_OPTS=-Xms512m',
      ].join('\n'),
    });
    const config = load({}, cwd);
    assert.equal(config.session.driver, 'redis');
    assert.equal(config.databases.rbac!.connection, 'mysql');
    assert.deepEqual(config.warnings, []);
  });
});

describe("conflicts between a guide name and Marg's", () => {
  it('the same setting under both names is fine, in either’s words', () => {
    assert.equal(load({ CACHE_DRIVER: 'redis', CACHE_STORE: 'redis' }).cache.store, 'redis');
    assert.equal(load({ CACHE_DRIVER: 'file', CACHE_STORE: 'sqlite' }).cache.store, 'sqlite');
    assert.equal(load({ APP_ENV: 'local', NODE_ENV: 'development' }).env, 'development');
  });

  it('different values in one source stop startup, naming both variables', () => {
    assert.deepEqual(problems({ CACHE_DRIVER: 'redis', CACHE_STORE: 'sqlite' }), [
      'CACHE_DRIVER and CACHE_STORE disagree in the environment: CACHE_DRIVER=redis but CACHE_STORE=sqlite; keep one',
    ]);
    const inDotenv = problems({}, project({ '.env': 'APP_ENV=production\nNODE_ENV=development\nRBAC_DB_CONNECTION=pgsql\nRBAC_DB_DRIVER=mysql\n' }));
    assert.deepEqual(inDotenv, [
      'APP_ENV and NODE_ENV disagree in .env: APP_ENV=production but NODE_ENV=development; keep one',
      'RBAC_DB_CONNECTION and RBAC_DB_DRIVER disagree in .env: RBAC_DB_CONNECTION=pgsql but RBAC_DB_DRIVER=mysql; keep one',
    ]);
    assert.deepEqual(problems({ CACHE_DRIVER: 'file', CACHE_STORE: 'redis' }), [
      'CACHE_DRIVER and CACHE_STORE disagree in the environment: CACHE_DRIVER=file (CACHE_STORE=sqlite) but CACHE_STORE=redis; keep one',
    ]);
  });

  it('between sources the usual order decides, whichever name each uses', () => {
    // `npm test` sets NODE_ENV=test; a developer's .env may say APP_ENV=local.
    assert.equal(load({ NODE_ENV: 'test' }, project({ '.env': 'APP_ENV=local\n' })).env, 'test');
    assert.equal(load({ CACHE_STORE: 'redis' }, project({ '.env': 'CACHE_DRIVER=file\n' })).cache.store, 'redis');
    assert.equal(load({}, project({ '.env.shared': 'CACHE_STORE=redis\n', '.env': 'CACHE_DRIVER=array\n' })).cache.store, 'memory');
    assert.equal(load({ APP_ENV: 'production' }, project({ '.env': 'NODE_ENV=development\n' })).env, 'production');
    // A conflict, or a bad guide value, that a higher source overrides does not count, as for any variable.
    assert.equal(load({ CACHE_STORE: 'memory' }, project({ '.env': 'CACHE_DRIVER=memcached\n' })).cache.store, 'memory');
    assert.equal(load({ SESSION_DRIVER: 'memory' }, project({ '.env': 'RBAC_SESSION_DRIVER=redis\nSESSION_DRIVER=sqlite\n' })).session.driver, 'memory');
  });
});

describe('guide names Marg does not use', () => {
  it('warns, naming each, when its value asks for something Marg does not do', () => {
    const config = load({}, project({ '.env': 'APP_URL=https://flow.example.com\nAPP_DEBUG=true\nSESSION_PATH=/app\nRBAC_SESSION_CONNECTION=sessions\nRBAC_DB_CONNECTION=rbac_mysql\nTELESCOPE_ENABLED=true\n' }));
    const byName = Object.fromEntries(config.warnings.map((w) => [w.slice(0, w.indexOf(':')), w]));
    assert.deepEqual(Object.keys(byName).sort(), ['APP_DEBUG', 'APP_URL', 'RBAC_DB_CONNECTION', 'RBAC_SESSION_CONNECTION', 'SESSION_PATH', 'TELESCOPE_ENABLED']);
    assert.equal(byName.APP_URL, 'APP_URL: not used by Marg; the apps answer on accounts., flow. and links.<MARG_DOMAIN>: set MARG_DOMAIN');
    assert.match(byName.RBAC_DB_CONNECTION!, /^RBAC_DB_CONNECTION: not used by Marg for connection "rbac_mysql"; RBAC_DB_DRIVER/);
    // The unused name changes nothing.
    assert.equal(config.databases.rbac!.connection, 'sqlite');
  });

  it('stays quiet when the value is what Marg does anyway, or the variable is another program’s', () => {
    const config = load({ APP_DEBUG: 'false', TELESCOPE_ENABLED: '(false)', SESSION_PATH: '/', RBAC_SESSION_CONNECTION: 'default', MYSQL_ROOT_PASSWORD: 'pw', BACKUP_DIR: '/backups' });
    assert.deepEqual(config.warnings, []);
  });
});

describe('marg with a guide .env', () => {
  after(() => cleanupCli());

  it('a one-shot command prints the warning on stderr, naming the variable', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'APP_URL=https://flow.example.com\n');
    const result = await runMarg(['migrate', '--status'], { cwd: dir });
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stderr, /^marg: warning: APP_URL: not used by Marg; /m);
    assert.doesNotMatch(result.stdout, /APP_URL/);
  });

  it('a conflict stops the command with exit 2, naming both variables', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'CACHE_DRIVER=redis\nCACHE_STORE=sqlite\n');
    const result = await runMarg(['migrate'], { cwd: dir });
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(result.stderr, 'marg: Invalid configuration:\n  - CACHE_DRIVER and CACHE_STORE disagree in .env: CACHE_DRIVER=redis but CACHE_STORE=sqlite; keep one\n');
  });
});
