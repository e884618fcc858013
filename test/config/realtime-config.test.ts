import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/env-files.ts';
import { originAllowed } from '../../src/realtime/channels.ts';

const build = (env: Record<string, string>) => buildConfig('/tmp', env);

it('realtime config: defaults, Reverb names, all three app variables or none, bad values name the variable', () => {
  const plain = build({}).realtime;
  assert.equal(plain.app, undefined);
  assert.equal(plain.driver, 'memory');
  assert.equal(plain.port, 6001);
  assert.equal(plain.clientPort, undefined);
  assert.equal(plain.host, 'ws.marg.localhost');
  assert.deepEqual(plain.allowedOrigins, ['marg.localhost', '*.marg.localhost']);

  const set = build({ REVERB_APP_ID: '1', REVERB_APP_KEY: 'k', REVERB_APP_SECRET: 's'.repeat(16), REVERB_PORT: '443', REVERB_SERVER_PORT: '6002', REVERB_HOST: 'ws.example.com', BROADCAST_CONNECTION: 'redis' }).realtime;
  assert.deepEqual(set.app, { id: '1', key: 'k', secret: 's'.repeat(16) });
  assert.equal(set.port, 6002);
  assert.equal(set.clientPort, 443);
  assert.equal(set.driver, 'redis');

  assert.throws(() => build({ REVERB_APP_KEY: 'k' }), (e: ConfigError) => e instanceof ConfigError && /REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET/.test(e.message));
  assert.throws(() => build({ BROADCAST_CONNECTION: 'pusher' }), /BROADCAST_CONNECTION: must be one of memory, redis/);
  assert.throws(() => build({ REVERB_PORT: 'x' }), /REVERB_PORT/);
  assert.throws(() => build({ REVERB_APP_ID: '1', REVERB_APP_KEY: 'k', REVERB_APP_SECRET: 'short' }), (e: Error) => /REVERB_APP_SECRET/.test(e.message) && !e.message.includes('short'));
});

it('allowed origins: exact hosts, *.domain, *, and clients without an Origin', () => {
  const patterns = ['marg.localhost', '*.marg.localhost'];
  assert.equal(originAllowed('http://flow.marg.localhost:8080', patterns), true);
  assert.equal(originAllowed('https://marg.localhost', patterns), true);
  assert.equal(originAllowed('http://evilmarg.localhost', patterns), false);
  assert.equal(originAllowed('http://marg.localhost.evil.example', patterns), false);
  assert.equal(originAllowed('null', patterns), false);
  assert.equal(originAllowed(undefined, patterns), true);
  assert.equal(originAllowed('http://anything.example', ['*']), true);
});

it("Reverb's REVERB_SCALING_ENABLED picks the Redis broadcast driver", async () => {
  const { loadConfig } = await import('../../src/config/config.ts');
  const cwd = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/marg-rt-`);
  assert.equal(loadConfig({ cwd, env: { REVERB_SCALING_ENABLED: 'true' } }).realtime.driver, 'redis');
  assert.equal(loadConfig({ cwd, env: { REVERB_SCALING_ENABLED: 'false' } }).realtime.driver, 'memory');
  assert.throws(() => loadConfig({ cwd, env: { REVERB_SCALING_ENABLED: 'maybe' } }), /REVERB_SCALING_ENABLED/);
});
