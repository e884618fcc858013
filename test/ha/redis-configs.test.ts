import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { directive } from '../support/deploy-configs.ts';
import { startRedisHa, SENTINEL_SERVICE, type RedisHa } from '../support/redis-ha.ts';
import { privateRedisAvailable, redisSentinelAvailable } from '../support/redis-server.ts';

const [server, sentinel] = [await privateRedisAvailable(), await redisSentinelAvailable()];

// deploy/redis/*.conf run as shipped (test/support/redis-ha.ts overrides only ports, dirs, the
// password and the monitored address): these are the settings an operator installs.
describe('deploy/redis: primary, replica and three Sentinels start from the shipped files', { skip: server.skipReason ?? sentinel.skipReason }, () => {
  let ha: RedisHa | undefined;
  before(async () => {
    ha = await startRedisHa();
  });
  after(() => ha?.stop());

  it('the primary and the replica run with AOF, the memory cap and policy, and a read-only replica', async () => {
    for (const [port, role] of [
      [ha!.primary.port, 'master'],
      [ha!.replica.port, 'slave'],
    ] as const) {
      const client = ha!.client(port);
      try {
        assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
        assert.deepEqual(await client.config('GET', 'maxmemory'), ['maxmemory', String(512 * 1024 * 1024)]);
        assert.deepEqual(await client.config('GET', 'maxmemory-policy'), ['maxmemory-policy', directive('redis/redis-primary.conf', 'maxmemory-policy')]);
        assert.match(await client.info('replication'), new RegExp(`role:${role}`));
        if (role === 'slave') await assert.rejects(client.set('x', '1'), /READONLY/);
      } finally {
        client.disconnect();
      }
    }
    // Without the password nothing is answered.
    const anonymous = ha!.client(ha!.primary.port);
    anonymous.options.password = undefined;
    await assert.rejects(anonymous.ping(), /NOAUTH|AUTH/);
    anonymous.disconnect();
  });

  it('the Sentinels watch the primary with quorum 2, down-after 5000 ms, and know each other', async () => {
    for (const s of ha!.sentinels) {
      const client = ha!.client(s.port);
      client.options.password = undefined;
      try {
        const flat = (await client.call('SENTINEL', 'master', SENTINEL_SERVICE)) as string[];
        const info = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
        assert.equal(info.port, String(ha!.primary.port));
        assert.equal(info.quorum, '2');
        assert.equal(info['down-after-milliseconds'], '5000');
        assert.equal(info['failover-timeout'], '10000');
        assert.equal(info['num-other-sentinels'], '2');
        assert.equal(info['num-slaves'], '1');
      } finally {
        client.disconnect();
      }
    }
    assert.equal(await ha!.primaryPort(), ha!.primary.port);
  });
});
