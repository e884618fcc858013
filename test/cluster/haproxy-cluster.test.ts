import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { serverStatuses } from '../../src/cluster/haproxy-socket.ts';
import { isRunning } from '../../src/cluster/processes.ts';
import type { ClusterStatus } from '../../src/cluster/status.ts';
import { redisService } from '../contract/redis-fixture.ts';
import { serverService } from '../contract/database.fixture.ts';
import { describeResult } from '../support/cli.ts';
import { until } from '../support/wait.ts';
import { balancerInstalled, ClusterFixture } from './fixture.ts';
import { describeFailures } from './load.ts';

/** Load connections: a SIGKILLed node can cost at most the one request each has in flight on it. */
const CONNECTIONS = 4;

const haproxy = await balancerInstalled('haproxy');
const redis = await redisService();
const mariadb = await serverService('mysql');

/**
 * The cluster with real processes: HAProxy in front of 3 `marg serve`, 2 `marg work`
 * and 2 `marg schedule`, on Redis (sessions, cache, queue) and MariaDB, all on loopback.
 * (The roll under load is test/cluster/haproxy-roll.test.ts: a test file has 120 s.)
 */
describe('marg cluster up: HAProxy, 3 web nodes, 2 workers, 2 schedulers on Redis and MariaDB', { skip: haproxy.skipReason ?? redis.skipReason ?? mariadb.skipReason }, () => {
  const cluster = new ClusterFixture(true);
  after(() => cluster.cleanup());

  it('migrates once, starts every process, and `status` shows each one healthy', { timeout: 100_000 }, async (t) => {
    const started = Date.now();
    const stdout = await cluster.up(['--web', '3', '--workers', '2', '--schedulers', '2']);
    t.diagnostic(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.match(stdout, new RegExp(`Marg cluster is running: haproxy on http://127\\.0\\.0\\.1:${cluster.port} in front of 3 web nodes, with 2 workers and 2 schedulers`));
    assert.match(stdout, /migrated links\//, 'migrated before the nodes started');

    const result = await cluster.cli(['status', '--json'], 60_000);
    assert.equal(result.code, 0, describeResult(result));
    const status = JSON.parse(result.stdout) as ClusterStatus;
    assert.equal(status.ok, true, result.stdout);
    assert.deepEqual(status.processes.map((p) => `${p.role}:${p.name}`).sort(), [
      'balancer:haproxy',
      'scheduler:scheduler-1',
      'scheduler:scheduler-2',
      'web:web-1',
      'web:web-2',
      'web:web-3',
      'worker:worker-1',
      'worker:worker-2',
    ]);
    for (const web of status.processes.filter((p) => p.role === 'web')) assert.equal(web.health, 'ready, haproxy: UP', JSON.stringify(web));
  });

  it('signs in through the balancer; every node serves the same session', { timeout: 30_000 }, async () => {
    const { email, browser } = await cluster.signIn();
    const servedBy = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const me = await browser.get(['flow', 'links', 'accounts'][i % 3]!, '/api/me');
      assert.equal(me.status, 200, me.text);
      assert.equal(me.json().email, email);
      const node = String(me.headers['x-marg-node']);
      servedBy.set(node, (servedBy.get(node) ?? 0) + 1);
    }
    assert.deepEqual([...servedBy.keys()].sort(), ['web-1', 'web-2', 'web-3'], `round robin over every node: ${JSON.stringify(Object.fromEntries(servedBy))}`);
    // The probe's Host through HAProxy: refused there (400), never a URL on evil.example.
    const probe = await browser.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, 'flow.marg.localhost:@evil.example');
    assert.equal(probe.status, 400);
    assert.doesNotMatch(`${String(probe.headers.location ?? '')}\n${probe.text}`, /evil/);
    // An app host in upper case goes through, spelled as configured in the links it gets.
    const upper = await browser.request('GET', 'flow', '/api/me', {}, `FLOW.MARG.LOCALHOST:${cluster.port}`);
    assert.equal(upper.status, 200, upper.text);
  });

  it('SIGTERM drains a node without a failed request; SIGKILL costs at most one request per connection, none once HAProxy marks it down', { timeout: 60_000 }, async (t) => {
    const socket = cluster.state().balancer.socket!;
    const running = cluster.load({ rate: 150, connections: CONNECTIONS });
    await new Promise((r) => setTimeout(r, 1_500));

    const drained = cluster.member('web-1');
    const termAt = Date.now();
    process.kill(drained.process.pid, 'SIGTERM');
    await until(() => !isRunning(drained.process), 30_000);
    const drainMs = Date.now() - termAt;
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(running.failuresSince(termAt), 0, 'no request failed while web-1 drained and stopped');

    const killed = cluster.member('web-2');
    const killAt = Date.now();
    process.kill(killed.process.pid, 'SIGKILL');
    let downAt = 0;
    await until(async () => {
      if ((await serverStatuses(socket, 'marg_web')).get('web-2')?.startsWith('DOWN')) downAt = Date.now();
      return downAt > 0;
    }, 15_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const report = await running.stop();
    const untilDown = report.failures.filter((f) => f.at >= killAt && f.at < downAt);
    const afterDown = report.failures.filter((f) => f.at >= downAt);
    t.diagnostic(`web-1 drained and exited ${drainMs} ms after SIGTERM; web-2 marked DOWN ${downAt - killAt} ms after SIGKILL, failures until then: ${describeFailures({ failures: untilDown })}; load ${JSON.stringify(report.byStatus)}`);
    assert.ok(untilDown.length <= CONNECTIONS, `at most ${CONNECTIONS} failed requests until HAProxy marked web-2 down, got ${describeFailures({ failures: untilDown })}`);
    assert.equal(afterDown.length, 0, `no failed request once web-2 was down: ${describeFailures({ failures: afterDown })}`);
    assert.equal(report.failures.length, untilDown.length, `failures only while web-2 was dying: ${describeFailures(report)}`);
    assert.ok((report.byStatus['200'] ?? 0) > 500, `the load ran throughout: ${JSON.stringify(report.byStatus)}`);

    const status = await cluster.status();
    assert.equal(status.ok, false);
    const web = Object.fromEntries(status.processes.filter((p) => p.role === 'web').map((p) => [p.name, p.process]));
    assert.deepEqual(web, { 'web-1': 'stopped', 'web-2': 'stopped', 'web-3': 'running' });
  });

  it('down stops every process it started, and nothing else', { timeout: 60_000 }, async () => {
    const state = cluster.state();
    const recorded = [state.balancer.process!, ...state.members.map((m) => m.process)];
    const down = await cluster.cli(['down'], 60_000);
    assert.equal(down.code, 0, describeResult(down));
    assert.match(down.stdout, /web-1 +pid \d+: was not running/);
    assert.match(down.stdout, /web-3 +pid \d+: stopped in/);
    assert.match(down.stdout, /Cluster stopped \(8 processes\)/);
    for (const p of recorded) assert.equal(isRunning(p), false, `pid ${p.pid} (${p.marks.join(' ')}) still runs`);
    await assert.rejects(fetch(`http://127.0.0.1:${cluster.port}/health/live`, { signal: AbortSignal.timeout(2_000) }), 'nothing listens on the balancer port');
    const again = await cluster.cli(['status'], 60_000);
    assert.equal(again.code, 2, describeResult(again));
  });
});
