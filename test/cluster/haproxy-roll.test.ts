import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { redisService } from '../contract/redis-fixture.ts';
import { serverService } from '../contract/database.fixture.ts';
import { describeResult, withCliServices } from '../support/cli.ts';
import { until } from '../support/wait.ts';
import { balancerInstalled, ClusterFixture } from './fixture.ts';
import { describeFailures } from './load.ts';

const RATE = 150;
const CONNECTIONS = 4;
const haproxy = await balancerInstalled('haproxy');
const redis = await redisService();
const mariadb = await serverService('mysql');

/**
 * The guides' zero-downtime deploy: `marg cluster roll` replaces every process one at a time
 * under steady load (keep-alive connections, signed-in API reads and short-link redirects).
 */
describe('marg cluster roll behind HAProxy, on Redis and MariaDB', { skip: haproxy.skipReason ?? redis.skipReason ?? mariadb.skipReason }, () => {
  const cluster = new ClusterFixture(true);
  after(() => cluster.cleanup());

  it('replaces 2 web nodes, a worker and a scheduler under load: zero failed requests, every job done once', { timeout: 115_000 }, async (t) => {
    let started = Date.now();
    await cluster.up(['--web', '2', '--workers', '1', '--schedulers', '1']);
    t.diagnostic(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { browser } = await cluster.signIn();
    // The load follows one link's redirect; the jobs dispatched by hand count clicks on another.
    const [redirected, counted] = await Promise.all(
      ['https://example.com/redirected', 'https://example.com/counted'].map(async (url) => {
        const created = await browser.post('links', '/api/links', { json: { url } });
        assert.equal(created.status, 201, created.text);
        return created.json() as { id: number; slug: string };
      }),
    );
    const link = counted!;

    const running = cluster.load({ rate: RATE, connections: CONNECTIONS, slug: redirected!.slug });
    // Jobs dispatched while the workers are replaced: one click each on the link, each batch its own.
    let rolling = true;
    let dispatched = 0;
    const dispatching = withCliServices(cluster.cwd, cluster.env, async (services) => {
      const day = new Date().toISOString().slice(0, 10);
      while (rolling && dispatched < 300) {
        await services.queue.dispatch('links.clicks', { batch: randomUUID(), day, counts: [[link.id, 1]] }, { tries: 5, backoff: { type: 'exponential', delayMs: 500 } });
        dispatched += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    await new Promise((r) => setTimeout(r, 1_000));
    started = Date.now();
    const roll = await cluster.cli(['roll'], 90_000);
    const rollSeconds = (Date.now() - started) / 1000;
    rolling = false;
    await dispatching;
    await new Promise((r) => setTimeout(r, 1_000));
    const report = await running.stop();
    t.diagnostic(`roll in ${rollSeconds.toFixed(1)} s; load: ${report.total} requests ${JSON.stringify(report.byStatus)}; ${dispatched} jobs dispatched during the roll`);
    assert.equal(roll.code, 0, describeResult(roll));
    for (const line of ['web-1 → web-3', 'web-2 → web-4', 'worker-1 → worker-2', 'scheduler-1 → scheduler-2']) {
      assert.match(roll.stdout, new RegExp(`^${line}\\b.*: \\S+ stopped in`, 'm'), roll.stdout);
    }
    assert.equal(report.failures.length, 0, `failed requests during the roll: ${describeFailures(report)}`);
    assert.ok(report.total > rollSeconds * RATE * 0.5, `the load ran throughout (${report.total} requests in ${rollSeconds.toFixed(0)} s)`);
    assert.ok(running.count(200) > 0 && running.count(302) > 0, JSON.stringify(report.byStatus));

    const status = await cluster.status();
    assert.equal(status.ok, true, JSON.stringify(status, null, 2));
    assert.deepEqual(status.processes.map((p) => p.name).sort(), ['haproxy', 'scheduler-2', 'web-3', 'web-4', 'worker-2']);

    // Every job dispatched during the roll ran, each exactly once: none lost, none doubled.
    const clicksOf = async (id: number): Promise<number> => (await browser.get('links', `/api/links/${id}`)).json().clicks;
    let clicks = -1;
    await until(async () => (clicks = await clicksOf(link.id)) >= dispatched, 20_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await clicksOf(link.id), dispatched, `${clicks} clicks counted for ${dispatched} jobs`);
    // Every redirect the load got was counted: the old nodes queued their clicks as they stopped.
    // Stopping the load drops the answers to the requests then in flight (at most one per
    // connection), whose clicks the nodes still count.
    const redirects = running.count(302);
    let redirectClicks = -1;
    await until(async () => (redirectClicks = await clicksOf(redirected!.id)) >= redirects, 20_000).catch(() => undefined);
    assert.ok(redirectClicks >= redirects && redirectClicks <= redirects + CONNECTIONS, `${redirectClicks} clicks counted for ${redirects} redirects`);
    const failed = await withCliServices(cluster.cwd, cluster.env, (services) => services.failedJobs.failed(10));
    assert.deepEqual(failed, [], 'no job failed');
  });
});
