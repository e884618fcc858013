import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/env-files.ts';
import { recordScheduleRun, setQueueStatsSource } from '../../src/observability/metrics.ts';
import { startMetricsServer } from '../../src/observability/metrics-server.ts';
import type { Services } from '../../src/platform/services.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { httpGet, scrape, select, total, type Sample } from '../support/prometheus-text.ts';
import { until } from '../support/wait.ts';

const HTTP = 'marg_http_request_duration_seconds';

describe('Prometheus metrics on METRICS_PORT after real traffic', () => {
  let server: TestServer;
  let metricsPort: number;
  let editor: HostClient;
  let visitor: HostClient;
  let before0: Sample[];
  let samples: Sample[];
  let taskId: number;

  before(async () => {
    // METRICS_PORT=0: a free port, reported by the running web role.
    server = await startTestServer({ METRICS_PORT: '0' }, { worker: true });
    metricsPort = server.web.metrics?.port ?? 0;
    assert.ok(metricsPort > 0 && metricsPort !== server.port, `metrics on a port of their own (got ${metricsPort}, app port ${server.port})`);
    before0 = await scrape(metricsPort);

    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }, { app: 'links', role: 'editor' }] });
    editor = server.client();
    visitor = server.client();
    await editor.signIn('flow', user.email, TEST_PASSWORD);
    for (let i = 0; i < 3; i++) assert.equal((await editor.get('flow', '/api/me')).status, 200);
    const created = await editor.post('flow', '/api/tasks', { json: { title: 'Measure it' } });
    assert.equal(created.status, 201, created.text);
    taskId = (created.json() as { id: number }).id;
    assert.equal((await editor.get('flow', `/api/tasks/${taskId}`)).status, 200);
    assert.equal((await editor.get('flow', '/api/no-such-thing')).status, 404);
    const link = await editor.post('links', '/api/links', { json: { url: 'https://example.com/metrics', slug: 'metered' } });
    assert.equal(link.status, 201, link.text);
    assert.equal((await visitor.get('links', '/metered')).status, 302);
    // A job with no handler fails at once: the failed outcome is counted too.
    await server.services.queue.dispatch('test.no-handler', {}, { tries: 1 });
    // The click reaches the count through a `links.clicks` job (queued within a second).
    await until(async () => total(await scrape(metricsPort), 'marg_queue_jobs_total', { name: 'links.clicks', outcome: 'completed' }) >= 1, 10_000);
    await until(async () => total(await scrape(metricsPort), 'marg_queue_jobs_total', { name: 'test.no-handler', outcome: 'failed' }) >= 1, 10_000);
    samples = await scrape(metricsPort);
  });
  after(() => server?.close());

  it('serves only GET /metrics, in the Prometheus text format, and nothing of it on the app port', async () => {
    const ok = await httpGet(metricsPort, '/metrics');
    assert.equal(ok.status, 200);
    assert.match(ok.type, /^text\/plain; version=0\.0\.4/);
    assert.equal((await httpGet(metricsPort, '/')).status, 404);
    assert.equal((await httpGet(metricsPort, '/metrics', 'POST')).status, 405);
    for (const app of ['flow', 'links']) {
      const onApp = await visitor.get(app, '/metrics');
      assert.doesNotMatch(onApp.text, /marg_http_request_duration_seconds/, `${app}: /metrics on the app port`);
    }
  });

  it('has the HTTP histogram by app, route pattern, method and status, with plausible counts and sums', () => {
    const me = { app: 'flow', route: '/api/me', method: 'GET', status: '200' };
    assert.equal(total(samples, `${HTTP}_count`, me), 3);
    const buckets = select(samples, `${HTTP}_bucket`, me);
    assert.ok(buckets.length >= 10, 'one line per bucket');
    assert.equal(buckets.find((b) => b.labels.le === '+Inf')?.value, 3, '+Inf bucket = count');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
    const sum = total(samples, `${HTTP}_sum`, me);
    assert.ok(sum > 0 && sum < 30, `sum of 3 requests in seconds: ${sum}`);
    assert.ok(select(samples, `${HTTP}_count`, me)[0]!.labels.role === 'web', 'the role is a label on every series');

    assert.equal(total(samples, `${HTTP}_count`, { app: 'flow', route: '/api/session', method: 'POST', status: '200' }), 1);
    assert.equal(total(samples, `${HTTP}_count`, { app: 'flow', route: '/api/tasks', method: 'POST', status: '201' }), 1);
    assert.equal(total(samples, `${HTTP}_count`, { app: 'flow', route: '/api/tasks/:id', method: 'GET', status: '200' }), 1);
    assert.equal(total(samples, `${HTTP}_count`, { app: 'links', route: '/:slug', method: 'GET', status: '302' }), 1);
    assert.equal(total(samples, `${HTTP}_count`, { app: 'flow', route: 'unmatched', method: 'GET', status: '404' }), 1);
    // Bounded cardinality: never a raw URL, id or slug in a label.
    const routes = new Set(select(samples, `${HTTP}_count`).map((s) => s.labels.route));
    for (const route of routes) assert.doesNotMatch(route!, new RegExp(`/${taskId}$|metered|no-such-thing`), `route label ${route}`);
    assert.equal(select(samples, 'marg_http_requests_in_flight').length, 1);
    assert.ok(total(samples, 'marg_http_requests_in_flight') >= 0);
  });

  it('times database queries by database, as writer without replicas', () => {
    const flowQueries = total(samples, 'marg_db_query_duration_seconds_count', { database: 'flow', target: 'writer' });
    assert.ok(flowQueries >= 2, `flow queries: ${flowQueries}`);
    assert.ok(total(samples, 'marg_db_query_duration_seconds_sum', { database: 'flow' }) > 0);
    assert.ok(total(samples, 'marg_db_query_duration_seconds_count', { database: 'rbac' }) >= 1);
    assert.equal(select(samples, 'marg_db_query_duration_seconds_count', { target: 'reader' }).length, 0, 'no replicas here');
  });

  it('counts cache hits and misses by store', () => {
    const store = server.config.cache.store;
    const delta = (name: string) => total(samples, name, { store }) - total(before0, name, { store });
    // The first request loads the user's permissions (a miss), the next ones find them (hits).
    assert.ok(delta('marg_cache_misses_total') >= 1, 'misses moved');
    assert.ok(delta('marg_cache_hits_total') >= 2, 'hits moved');
  });

  it('has the queue series: jobs by outcome, their durations, and the depth per queue and state', () => {
    assert.ok(total(samples, 'marg_queue_jobs_total', { queue: 'default', name: 'links.clicks', outcome: 'completed' }) >= 1);
    assert.equal(total(samples, 'marg_queue_jobs_total', { queue: 'default', name: 'test.no-handler', outcome: 'failed' }), 1);
    const jobs = total(samples, 'marg_queue_job_duration_seconds_count', { queue: 'default', name: 'links.clicks' });
    assert.ok(jobs >= 1);
    const seconds = total(samples, 'marg_queue_job_duration_seconds_sum', { queue: 'default', name: 'links.clicks' });
    assert.ok(seconds > 0 && seconds < 60 * jobs, `job seconds: ${seconds}`);
    // Wait time per queue (not per job name): every delivery is counted once.
    const waited = total(samples, 'marg_queue_job_wait_seconds_count', { queue: 'default' });
    assert.equal(waited, total(samples, 'marg_queue_jobs_total', { queue: 'default' }), 'one wait per delivery');
    assert.equal(select(samples, 'marg_queue_job_wait_seconds_bucket', { queue: 'default', le: '+Inf' })[0]?.value, waited);
    assert.ok(total(samples, 'marg_queue_job_wait_seconds_sum', { queue: 'default' }) >= 0);
    const depth = Object.fromEntries(select(samples, 'marg_queue_depth', { queue: 'default' }).map((s) => [s.labels.state, s.value]));
    assert.deepEqual(Object.keys(depth).sort(), ['delayed', 'failed', 'running', 'waiting']);
    assert.equal(depth.failed, 1, 'the failed job is kept');
    assert.ok(depth.waiting! >= 0 && depth.running! >= 0);
    assert.equal(total(samples, 'marg_queue_stats_up'), 1);
  });

  it('has the process metrics under their standard names', () => {
    assert.ok(total(samples, 'process_resident_memory_bytes') > 10e6);
    assert.ok(total(samples, 'process_cpu_seconds_total') > 0);
    assert.ok(select(samples, 'nodejs_eventloop_lag_p99_seconds').length === 1);
  });

  it('counts scheduler runs through recordScheduleRun', async () => {
    recordScheduleRun('test:metrics', 'ok', 25);
    recordScheduleRun('test:metrics', 'taken');
    const now = await scrape(metricsPort);
    assert.equal(total(now, 'marg_schedule_runs_total', { task: 'test:metrics', status: 'ok' }), 1);
    assert.equal(total(now, 'marg_schedule_runs_total', { task: 'test:metrics', status: 'taken' }), 1);
    assert.equal(total(now, 'marg_schedule_run_duration_seconds_count', { task: 'test:metrics' }), 1, 'only runs are timed, not ticks taken elsewhere');
  });

  it('still answers the scrape when the queue store fails, with marg_queue_stats_up 0', async () => {
    setQueueStatsSource(() => Promise.reject(new Error('queue store down')));
    try {
      const now = await scrape(metricsPort);
      assert.equal(total(now, 'marg_queue_stats_up'), 0);
      assert.equal(select(now, 'marg_queue_depth').length, 0);
      assert.ok(select(now, `${HTTP}_count`).length > 0, 'the rest is served');
    } finally {
      setQueueStatsSource(() => server.services.queue.stats());
    }
  });

  it('refuses a METRICS_PORT already in use with a message naming it', async () => {
    const services = { ...server.services, config: { ...server.config, metrics: { port: metricsPort, host: '127.0.0.1' } } } as Services;
    await assert.rejects(startMetricsServer(services, 'worker'), (error: unknown) => error instanceof ConfigError && /METRICS_PORT: \d+ on 127\.0\.0\.1 is already in use/.test(error.message));
  });
});

describe('metrics endpoint is off by default', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ METRICS_PORT: undefined });
  });
  after(() => server?.close());

  it('serves no metrics when METRICS_PORT is unset', () => {
    assert.equal(server.config.metrics.port, undefined);
    assert.equal(server.web.metrics, undefined);
  });
});
