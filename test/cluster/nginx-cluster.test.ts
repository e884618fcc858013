import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isRunning } from '../../src/cluster/processes.ts';
import { privateRedisAvailable } from '../support/redis-server.ts';
import { describeResult } from '../support/cli.ts';
import { balancerInstalled, ClusterFixture } from './fixture.ts';
import { describeFailures } from './load.ts';

const nginx = await balancerInstalled('nginx');
const redisServer = await privateRedisAvailable();
const CONNECTIONS = 4;

/**
 * nginx as the balancer, on the cluster's own redis-server (`--own-redis`) and the embedded
 * SQLite files, which the processes on this one machine share: no server to install but Redis.
 */
describe('marg cluster behind nginx, with its own Redis and SQLite', { skip: nginx.skipReason ?? redisServer.skipReason }, () => {
  const cluster = new ClusterFixture(false);
  after(() => cluster.cleanup());

  it('comes up, serves one session from both nodes, and rolls them under load with no failed response', { timeout: 110_000 }, async (t) => {
    const stdout = await cluster.up(['--lb', 'nginx', '--own-redis', '--web', '2', '--workers', '1', '--schedulers', '0']);
    assert.match(stdout, /Started redis-server on 127\.0\.0\.1:\d+/);
    assert.match(stdout, /note: SQLite databases .*shared by the processes on this machine/);
    assert.match(stdout, /Marg cluster is running: nginx on/);
    const status = await cluster.status();
    assert.equal(status.ok, true, JSON.stringify(status, null, 2));
    assert.deepEqual(status.processes.map((p) => `${p.role}:${p.name}`).sort(), ['balancer:nginx', 'redis:redis', 'web:web-1', 'web:web-2', 'worker:worker-1']);

    const { email, browser } = await cluster.signIn();
    const servedBy = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const me = await browser.get(i % 2 ? 'links' : 'flow', '/api/me');
      assert.equal(me.json().email, email);
      servedBy.add(String(me.headers['x-marg-node']));
    }
    assert.deepEqual([...servedBy].sort(), ['web-1', 'web-2']);
    // The probe's Host through nginx: the nodes get nginx's parse of it and its own port, so no URL names evil.example.
    const probe = await browser.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, 'flow.marg.localhost:@evil.example');
    assert.doesNotMatch(`${String(probe.headers.location ?? '')}\n${probe.text}`, /evil/, `${probe.status}`);

    const running = cluster.load({ rate: 100, connections: CONNECTIONS });
    await new Promise((r) => setTimeout(r, 1_000));
    const roll = await cluster.cli(['roll'], 80_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const report = await running.stop();
    t.diagnostic(`load during the roll: ${JSON.stringify(report.byStatus)}`);
    assert.equal(roll.code, 0, describeResult(roll));
    assert.match(roll.stdout, /^web-1 → web-3\b/m);
    assert.match(roll.stdout, /^worker-1 → worker-2\b/m);
    // Every request got an answer from a node: no 5xx, no refused connection. The one exception is
    // nginx's own: a reload (two per web node) closes the old workers' idle client keep-alive
    // connections, and a request sent on one at that instant is reset (browsers resend such an
    // idempotent request, RFC 9112 §9.3.1; autocannon does not). HAProxy's roll has no reload,
    // and haproxy-roll.test.ts holds it to zero failures of any kind.
    const resets = report.failures.filter((f) => f.what === 'ECONNRESET').length;
    assert.equal(report.failures.length - resets, 0, `failed requests during the roll: ${describeFailures(report)}`);
    const reloads = 2 * 2;
    assert.ok(resets <= reloads * CONNECTIONS, `${resets} resets for ${reloads} reloads of ${CONNECTIONS} keep-alive connections`);
    assert.ok((report.byStatus['200'] ?? 0) > 300, JSON.stringify(report.byStatus));

    const state = cluster.state();
    const recorded = [state.balancer.process!, state.redis!.process, ...state.members.map((m) => m.process)];
    const down = await cluster.cli(['down'], 60_000);
    assert.equal(down.code, 0, describeResult(down));
    for (const p of recorded) assert.equal(isRunning(p), false, `pid ${p.pid} (${p.marks.join(' ')}) still runs`);
  });
});
