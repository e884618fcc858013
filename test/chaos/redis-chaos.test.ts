import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chaosTable } from '../../src/chaos/report.ts';
import { parseReport } from './support.ts';
import { balancerInstalled, ClusterFixture, PASSWORD } from '../cluster/fixture.ts';
import { describeResult, runMarg } from '../support/cli.ts';
import { sentinelClusterEnv, sentinelEnv, startRedisHa, type RedisHa } from '../support/redis-ha.ts';
import { privateRedisAvailable, redisSentinelAvailable } from '../support/redis-server.ts';

const [haproxy, server, sentinel] = [await balancerInstalled('haproxy'), await privateRedisAvailable(), await redisSentinelAvailable()];

/** The guides' promise with their Sentinel settings (down-after 5000 ms). */
const RECOVERY_BUDGET_MS = 10_000;

/**
 * `marg chaos`'s Redis experiment: test/ha's Sentinel setup (deploy/redis/*.conf: a primary, a
 * replica, three Sentinels) under a 2-web-node `marg cluster`. Its own file: a failover and a
 * cluster take most of a file's 120 s, so the web and worker experiments are cluster-chaos.test.ts.
 */
describe('marg chaos: the Redis primary behind Sentinel', { skip: haproxy.skipReason ?? server.skipReason ?? sentinel.skipReason }, () => {
  let ha: RedisHa | undefined;
  // Only the Sentinels lead a client (and `marg chaos`) to the primary.
  const cluster = new ClusterFixture(false, sentinelClusterEnv('chaos_'));

  let email = '';

  before(async () => {
    ha = await startRedisHa();
    Object.assign(cluster.env, sentinelEnv(ha));
    await cluster.up(['--web', '2', '--workers', '1', '--schedulers', '0']);
    ({ email } = await cluster.signIn());
  });

  after(async () => {
    await cluster.cleanup();
    await ha?.stop();
  });

  it(`finds the primary through Sentinel, kills it by the pid it reports, and requests succeed again within ${RECOVERY_BUDGET_MS / 1000} s`, { timeout: 90_000 }, async (t) => {
    const result = await runMarg(['chaos', '--experiments', 'redis-primary', '--email', email, '--rate', '40', '--yes', '--json'], {
      cwd: cluster.cwd,
      env: { ...cluster.env, MARG_CHAOS_PASSWORD: PASSWORD },
      timeoutMs: 80_000,
    });
    const report = parseReport(result);
    t.diagnostic(`\n${chaosTable(report)}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`redis-primary +redis primary 127\\.0\\.0\\.1:${ha!.primary.port} \\(pid ${ha!.primary.pid}\\)`), 'it announced the primary we started, by its pid');
    const [redis] = report.experiments;
    assert.ok(redis, describeResult(result));
    assert.equal(redis.error, undefined, describeResult(result));
    assert.equal(redis.noticedBy, 'sentinel');
    assert.ok(redis.noticedMs !== undefined, 'the Sentinels promoted the replica');
    assert.notEqual(await ha!.primaryPort(), ha!.primary.port, 'the Sentinels name another primary');
    assert.equal(redis.recovered, true, describeResult(result));
    assert.ok(redis.recoveryMs <= RECOVERY_BUDGET_MS, `requests and dispatches succeed again within ${RECOVERY_BUDGET_MS} ms of the kill (took ${redis.recoveryMs} ms)`);
    // Requests wait (up to 5 s each) while no primary answers, so the count is lower than the rate says.
    assert.ok(redis.requests > 40, `the load ran (${redis.requests} requests)`);
    assert.ok(redis.dispatched > 10, `jobs were dispatched (${redis.dispatched})`);
  });
});
