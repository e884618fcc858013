import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChaosReport } from '../../src/chaos/contract.ts';
import { chaosTable } from '../../src/chaos/report.ts';
import { parseReport } from './support.ts';
import { isRunning } from '../../src/cluster/processes.ts';
import { privateRedisAvailable } from '../support/redis-server.ts';
import { balancerInstalled, ClusterFixture, PASSWORD } from '../cluster/fixture.ts';
import { describeResult, runMarg } from '../support/cli.ts';

const haproxy = await balancerInstalled('haproxy');
const redis = await privateRedisAvailable();

/**
 * `marg chaos` against a 3-web-node `marg cluster` (HAProxy, 2 workers, its own redis-server for
 * sessions, cache and queue, SQLite databases: the lightest cluster, as a test file has 120 s),
 * all real processes: it kills web-1 and a worker mid-job under its own load and prints its report.
 */
describe('marg chaos against a marg cluster (HAProxy, 3 web nodes, 2 workers, --own-redis)', { skip: haproxy.skipReason ?? redis.skipReason }, () => {
  // A killed worker's job comes back once its reservation expires: 4 s here, not the default 90 s.
  const cluster = new ClusterFixture(false, { QUEUE_RETRY_AFTER: '4' });
  let email = '';

  before(async () => {
    await cluster.up(['--web', '3', '--workers', '2', '--schedulers', '0', '--own-redis']);
    ({ email } = await cluster.signIn());
  });
  after(() => cluster.cleanup());

  const chaos = (args: readonly string[], timeoutMs = 80_000) => runMarg(['chaos', '--email', email, ...args], { cwd: cluster.cwd, env: { ...cluster.env, MARG_CHAOS_PASSWORD: PASSWORD }, timeoutMs });

  it('kills web-1 and worker-1 mid-job: no failed request once HAProxy noticed, no lost job', { timeout: 100_000 }, async (t) => {
    // All four asked for: the two this cluster cannot offer are skipped, with the reason.
    const result = await chaos(['--experiments', 'web,worker,redis-primary,db-replica', '--rate', '40', '--yes', '--json']);
    assert.equal(result.code, 0, describeResult(result));
    // What it will kill comes first (on stderr with --json), with the pids from the state file.
    assert.match(result.stderr, /It will kill, in this order:\n +web +web-1 \(pid \d+, port \d+\)\n +worker +worker-1 \(pid \d+\) mid-job\n/);
    assert.match(result.stderr, /redis-primary +skipped: Redis has no Sentinel/);
    assert.match(result.stderr, /db-replica +skipped: no --kill-cmd db-replica/);
    const report = parseReport(result);
    t.diagnostic(`\n${chaosTable(report)}${result.stderr}`);
    assert.deepEqual(report.experiments.map((e) => e.kind), ['web', 'worker']);
    assert.deepEqual(report.skipped.map((e) => e.kind), ['redis-primary', 'db-replica']);
    const [web, worker] = report.experiments as [ChaosReport['experiments'][number], ChaosReport['experiments'][number]];

    assert.equal(web.error, undefined);
    assert.equal(web.noticedBy, 'haproxy');
    assert.ok(web.noticedMs !== undefined, 'HAProxy marked web-1 DOWN');
    assert.equal(web.failedAfterNoticed, 0, 'no failed request once HAProxy noticed the dead node');
    assert.ok(web.requests > 20, `the load ran (${web.requests} requests)`);
    assert.equal(web.recovered, true);

    assert.equal(worker.error, undefined);
    assert.equal(worker.failedRequests, 0, 'a worker kill costs no request');
    assert.ok(worker.dispatched > 0);
    assert.ok(worker.midJob, 'worker-1 was killed while it ran a chaos job');
    assert.equal(worker.midJob.runs, 1, 'the job worker-1 was running ran again on worker-2, to its end once');
    assert.equal(worker.jobsLost, 0);
    assert.equal(report.experiments.reduce((n, e) => n + e.jobsLost, 0), 0);
    assert.equal(report.ok, true);

    assert.equal(isRunning(cluster.member('web-1').process), false, 'web-1 was killed');
    assert.equal(isRunning(cluster.member('worker-1').process), false, 'worker-1 was killed');
    for (const name of ['web-2', 'web-3', 'worker-2']) assert.equal(isRunning(cluster.member(name).process), true, `${name} was left alone`);
  });
});
