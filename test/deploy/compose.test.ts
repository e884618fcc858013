import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

// Issue 16: every compose file (and each overlay with the phase it extends) passes
// `docker-compose config` (Debian's docker-compose validates against the Compose schema;
// podman-compose 1.0.3 has no `config` command); HAProxy accepts the balancer's config.
// Running them is test/containers (MARG_CONTAINER_TESTS=1).

const COMPOSE = resolve(import.meta.dirname, '../../deploy/compose');
const required = process.env.MARG_REQUIRE_SERVICES === '1';
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const skip = (command: string) => (has(command) ? false : required ? assert.fail(`${command} is missing (.ci/run installs it)`) : `${command} is not installed`);

const secrets = mkdtempSync(join(tmpdir(), 'marg-compose-'));
for (const name of ['app_key', 'db_password', 'db_root_password', 'redis_password', 'grafana_admin_password', 'minio_root_password', 'reverb_app_secret']) writeFileSync(join(secrets, name), 'x\n');
after(() => rmSync(secrets, { recursive: true, force: true }));

const SETS: string[][] = [
  ['phase1.yml'],
  ['phase2.yml'],
  ['phase3.yml'],
  ['stack.yml'],
  ['phase3.yml', 'monitoring.yml'],
  ['phase3.yml', 'redis-ha.yml'],
  ['phase3.yml', 'search.yml'],
  ['phase3.yml', 'storage.yml'],
  ['phase3.yml', 'realtime.yml'],
  ['phase2.yml', 'monitoring.yml', 'search.yml', 'storage.yml'],
];

function config(files: string[], env: Record<string, string> = {}) {
  return spawnSync('docker-compose', [...files.flatMap((f) => ['-f', join(COMPOSE, f)]), 'config'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MARG_SECRETS_DIR: secrets, ...env } });
}

describe('deploy/compose', () => {
  it('every compose file is in a checked set', () => {
    const files = readdirSync(COMPOSE).filter((f) => f.endsWith('.yml'));
    assert.deepEqual(files.filter((f) => !SETS.flat().includes(f)), []);
  });

  for (const files of SETS) {
    it(`docker-compose config: ${files.join(' + ')}`, { skip: skip('docker-compose') }, () => {
      const result = config(files);
      assert.equal(result.status, 0, result.stderr);
      const text = result.stdout;
      // Ports are published on loopback unless MARG_BIND says otherwise; the phase files publish one service only.
      for (const published of text.matchAll(/published: '?(\d+)'?/g)) assert.ok(published, 'published port');
      if (files[0] !== 'stack.yml') assert.doesNotMatch(text, /host_ip: 0\.0\.0\.0/);
      if (files[0]!.startsWith('phase') && files[0] !== 'phase1.yml') assert.match(text, /internal: true/);
    });
  }

  it('the official images are the defaults; a variable picks another', { skip: skip('docker-compose') }, () => {
    assert.match(config(['phase3.yml']).stdout, /image: haproxy:2\.8[\s\S]*image: mariadb:11[\s\S]*image: redis:7/);
    assert.match(config(['phase3.yml'], { REDIS_IMAGE: 'example/redis:x' }).stdout, /image: example\/redis:x/);
  });

  it('haproxy -c accepts the balancer config', { skip: skip('haproxy') }, () => {
    const result = spawnSync('haproxy', ['-c', '-f', join(COMPOSE, 'haproxy/haproxy.cfg')], { encoding: 'utf8', env: { ...process.env, HAPROXY_MAXCONN: '256' } });
    assert.equal(result.status, 0, result.stderr + result.stdout);
  });
});
