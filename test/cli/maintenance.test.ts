import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAppKey } from '../../src/config/app-key.ts';
import { MaintenanceMode } from '../../src/maintenance/mode.ts';
import { MaintenanceSecrets } from '../../src/maintenance/secrets.ts';
import { cleanupCli, describeResult, migratedProject, runMarg, tempDir, withCliServices } from '../support/cli.ts';

/** The state as the web nodes of this project would read it. */
function stateIn(dir: string) {
  return withCliServices(dir, {}, (services) => new MaintenanceMode(services.cache).read());
}

function hashIn(dir: string, secret: string) {
  return withCliServices(dir, {}, async (services) => new MaintenanceSecrets(decodeAppKey(services.config.appKey!)).hash(secret));
}

describe('marg down / marg up', () => {
  let dir: string;
  before(async () => {
    dir = await migratedProject();
  });
  after(() => cleanupCli());

  it('down records the state (retry, message, a hash of the secret) in the shared cache; up clears it', async () => {
    const secret = 'open-sesame-42';
    const down = await runMarg(['down', '--retry', '30', '--message', 'Back at five.', '--secret', secret], { cwd: dir });
    assert.equal(down.code, 0, describeResult(down));
    assert.match(down.stdout, /^Marg is down for maintenance: every node answers 503 \(Retry-After: 30\)/m);
    assert.match(down.stdout, new RegExp(`open /${secret} on any app host`));
    const state = await stateIn(dir);
    assert.ok(state, 'down');
    assert.equal(state.retryAfterSeconds, 30);
    assert.equal(state.message, 'Back at five.');
    assert.equal(state.secretHash, await hashIn(dir, secret));
    // Only the HMAC is stored: the secret is nowhere in the cache file.
    for (const file of readdirSync(join(dir, 'storage', 'framework'))) {
      assert.ok(!readFileSync(join(dir, 'storage', 'framework', file)).includes(secret), file);
    }

    const up = await runMarg(['up'], { cwd: dir });
    assert.equal(up.code, 0, describeResult(up));
    assert.match(up.stdout, /^Marg is up/m);
    assert.equal(await stateIn(dir), undefined);
    const again = await runMarg(['up'], { cwd: dir });
    assert.equal(again.code, 0);
    assert.equal(again.stdout, 'Marg was not down for maintenance.\n');
  });

  it('down defaults to Retry-After 60; --with-secret makes a secret and prints it', async () => {
    const generated = await runMarg(['down', '--with-secret'], { cwd: dir });
    assert.equal(generated.code, 0, describeResult(generated));
    const secret = /open \/(\S+) on any app host/.exec(generated.stdout)?.[1];
    assert.ok(secret && secret.length >= 20, generated.stdout);
    const state = await stateIn(dir);
    assert.equal(state?.retryAfterSeconds, 60);
    assert.equal(state?.message, undefined);
    assert.equal(state?.secretHash, await hashIn(dir, secret));
    assert.equal((await runMarg(['up'], { cwd: dir })).code, 0);
  });

  it('refuses bad options, CACHE_STORE=memory and an unreachable Redis with one clear message and no stack', async () => {
    const cases: [string[], { cwd?: string; env?: Record<string, string> }, number, RegExp][] = [
      [['down', '--secret', 'short'], {}, 2, /--secret.*8 to 128 characters/],
      [['down', '--secret', 'has a space in it'], {}, 2, /--secret/],
      [['down', '--secret', 'abcdefgh1', '--with-secret'], {}, 2, /either --secret or --with-secret/],
      [['down', '--retry', '0'], {}, 2, /--retry.*≥ 1/],
      [['down', '--message', ' '], {}, 2, /--message/],
      // The memory cache lives in the command's own process: no node could see the flag.
      [['down'], { env: { CACHE_STORE: 'memory' } }, 2, /CACHE_STORE=memory/],
      [['up'], { cwd: tempDir(), env: { CACHE_STORE: 'redis', REDIS_HOST: '127.0.0.1', REDIS_PORT: '1' } }, 1, /^marg: cannot reach Redis for the maintenance flag: .*REDIS_HOST/m],
    ];
    // Side by side: each run is mostly the CLI's startup.
    const results = await Promise.all(cases.map(([args, options]) => runMarg(args, { cwd: options.cwd ?? dir, env: options.env ?? {}, timeoutMs: 60_000 })));
    for (const [i, [args, , code, pattern]] of cases.entries()) {
      const result = results[i]!;
      assert.equal(result.code, code, `${args.join(' ')}: ${describeResult(result)}`);
      assert.match(result.stderr, pattern, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
    }
    assert.equal(await stateIn(dir), undefined, 'nothing was written');
  });
});
