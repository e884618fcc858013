import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD, startTestServer, type TestServer } from '../support/platform.ts';
import { formCsrf, type HostClient } from '../support/client.ts';
import { startTelemetryReporter } from '../../src/telemetry/reporter.ts';
import { TelemetryRecorder } from '../../src/telemetry/recorder.ts';
import { QueueWorker } from '../../src/queue/worker.ts';
import { until } from '../support/wait.ts';
import { addRealtimeSource } from '../../src/observability/metrics.ts';
import { opsJobs } from '../../apps/ops/jobs.ts';

describe('ops pages', () => {
  let server: TestServer;
  const signedIn = async (roles: { app: string; role: 'viewer' | 'editor' | 'admin' }[]): Promise<HostClient> => {
    const user = await server.createUser({ roles });
    const client = server.client();
    await client.signIn('ops', user.email, TEST_PASSWORD);
    return client;
  };
  const submit = (client: HostClient, page: string, path: string, form: Record<string, string> = {}) => client.submitForm('ops', page, path, form);
  /** A job that fails for good (one try, a handler that throws), run by a worker of this test. */
  const failJob = async (payload: Record<string, string>) => {
    const { id } = await server.services.queue.dispatch('test.boom', payload, { tries: 1, queue: 'ops-test' });
    const worker = new QueueWorker(server.services.jobSource, server.services.queue, { 'test.boom': async () => { throw new TypeError('boom on purpose'); } }, { queues: ['ops-test'], concurrency: 1, tries: 1, timeoutMs: 5_000, idleMs: 20, graceMs: 1_000, maxJobs: 1 }, server.services.logger);
    await worker.run();
    return id;
  };

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('sends a signed-out visitor to sign in and refuses a user without ops roles (403)', async () => {
    const response = await server.client().get('ops', '/');
    assert.equal(response.status, 302);
    assert.match(String(response.headers.location), /^http:\/\/accounts\.marg\.localhost:\d+\/signin\?next=/);
    const outsider = await signedIn([{ app: 'links', role: 'admin' }]);
    for (const path of ['/', '/queues', '/schedule', '/insights', '/services', '/maintenance']) {
      assert.equal((await outsider.get('ops', path)).status, 403, path);
    }
    const page = await outsider.get('links', '/');
    assert.doesNotMatch(page.text, /ops\.marg\.localhost/, 'the app switcher does not offer ops');
  });

  it('shows the nodes that report, with their roles, and turns a silent one red', async () => {
    const clock = { now: Date.now() };
    const recorder = new TelemetryRecorder(() => clock.now);
    const a = startTelemetryReporter({ store: server.services.telemetry, roles: ['web'], logger: server.services.logger, node: 'web-a:1', recorder, clock: () => clock.now });
    const silent = new TelemetryRecorder(() => clock.now - 60_000);
    const b = startTelemetryReporter({ store: server.services.telemetry, roles: ['worker'], logger: server.services.logger, node: 'worker-b:2', recorder: silent, clock: () => clock.now - 60_000 });
    try {
      recorder.request('GET flow /api/tasks', 200, 12);
      recorder.request('GET flow /api/tasks', 500, 700);
      await a.flush();
      await b.flush();
      const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
      const page = await admin.get('ops', '/');
      assert.equal(page.status, 200);
      assert.match(page.text, /<tr class="node-up" data-node="web-a:1">[\s\S]*?<td>web<\/td>/);
      // worker-b's last beat is a minute old: past three missed heartbeats.
      assert.match(page.text, /<tr class="node-missing" data-node="worker-b:2">[\s\S]*?missing/);
      assert.match(page.text, /data-charts="[^"]*&quot;id&quot;:&quot;rps&quot;/);
      const insights = await admin.get('ops', '/insights');
      assert.match(insights.text, /<code>GET flow \/api\/tasks<\/code><\/td><td>2<\/td><td class="nowrap">≤ 700 ms/);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("charts each queue's wait time (p50 and p95 per minute) on the queues page", async () => {
    const now = Date.now();
    const recorder = new TelemetryRecorder(() => now);
    // Nine quick starts and one job that waited 2 s, on a queue only this test uses.
    for (let i = 0; i < 9; i++) recorder.job('ops-wait', 'test.wait', 'completed', 5, 40);
    recorder.job('ops-wait', 'test.wait', 'completed', 5, 2_000);
    const reporter = startTelemetryReporter({ store: server.services.telemetry, roles: ['worker'], logger: server.services.logger, node: 'worker-wait:1', recorder, clock: () => now });
    try {
      await reporter.flush();
      const viewer = await signedIn([{ app: 'ops', role: 'viewer' }]);
      const page = await viewer.get('ops', '/queues');
      assert.equal(page.status, 200);
      assert.match(page.text, /<figcaption>ops-wait: wait time <span class="muted">\(ms, from due to start\)<\/span><\/figcaption>/);
      const attribute = /data-charts="([^"]*)"/.exec(page.text)?.[1] ?? '';
      const charts = JSON.parse(attribute.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')) as { id: string; series: { label: string; values: number[] }[] }[];
      const wait = charts.find((c) => c.id === 'q-ops-wait-wait');
      assert.ok(wait, 'a wait chart for the queue');
      // The current minute is the last point: p50 in the ≤ 50 ms bucket, p95 in the ≤ 2.5 s one.
      assert.deepEqual(wait.series.map((s) => [s.label, s.values.at(-1)]), [['p50', 50], ['p95', 2_000]]);
    } finally {
      await reporter.stop();
    }
  });

  it('lists a failed job with its payload and error; a viewer sees no buttons; an admin retries it (audited)', async () => {
    const id = await failJob({ order: 'A-17' });
    const viewer = await signedIn([{ app: 'ops', role: 'viewer' }]);
    const seen = await viewer.get('ops', '/queues');
    assert.equal(seen.status, 200);
    assert.match(seen.text, new RegExp(`data-job="${id}"`));
    assert.match(seen.text, /A-17/);
    assert.match(seen.text, /TypeError: boom on purpose|boom on purpose/);
    assert.doesNotMatch(seen.text, />Retry<\/button>|>Forget<\/button>|>Retry all<\/button>/);
    const refused = await viewer.post('ops', `/queues/failed/${id}/retry`, { form: { _csrf: formCsrf(await viewer.get('ops', '/queues')) }, csrf: false });
    assert.equal(refused.status, 403);

    const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
    const page = await admin.get('ops', '/queues');
    assert.match(page.text, />Retry<\/button>/);
    const noToken = await admin.post('ops', `/queues/failed/${id}/retry`, { form: {}, csrf: false });
    assert.equal(noToken.status, 403, 'no CSRF token, no retry');
    const retried = await submit(admin, '/queues', `/queues/failed/${id}/retry`);
    assert.equal(retried.status, 303);
    assert.equal(retried.headers.location, '/queues');
    const after = await admin.get('ops', '/queues');
    assert.match(after.text, new RegExp(`Job ${id} is queued again`));
    assert.doesNotMatch(after.text, new RegExp(`data-job="${id}"`));
    const [counts] = await server.services.queue.stats(['ops-test']);
    assert.equal(counts!.waiting, 1);
    const audit = await server.services.audit.list(5, { event: 'ops.job_retried' });
    assert.equal(audit[0]?.subject, id);
    assert.equal((await submit(admin, '/queues', '/queues/failed/no-such-job/retry')).status, 404);
  });

  it('forgets one failed job and retries all', async () => {
    const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
    const first = await failJob({ n: '1' });
    await failJob({ n: '2' });
    assert.equal((await submit(admin, '/queues', `/queues/failed/${first}/forget`)).status, 303);
    assert.equal((await server.services.audit.list(1, { event: 'ops.job_forgotten' }))[0]?.subject, first);
    const all = await submit(admin, '/queues', '/queues/failed/retry-all');
    assert.equal(all.status, 303);
    assert.match((await admin.get('ops', '/queues')).text, /No failed jobs\./);
  });

  it('lists the schedule and queues "run now" for an admin only', async () => {
    const viewer = await signedIn([{ app: 'ops', role: 'viewer' }]);
    const seen = await viewer.get('ops', '/schedule');
    assert.match(seen.text, /data-task="sessions:prune"/);
    assert.doesNotMatch(seen.text, />Run now</);
    const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
    assert.match((await admin.get('ops', '/schedule')).text, />Run now</);
    const run = await submit(admin, '/schedule', '/schedule/run', { task: 'sessions:prune' });
    assert.equal(run.status, 303);
    assert.equal((await server.services.audit.list(1, { event: 'ops.task_run' }))[0]?.subject, 'sessions:prune');
    const unknown = await submit(admin, '/schedule', '/schedule/run', { task: 'no:such' });
    assert.equal(unknown.status, 422);
    const [waiting] = await server.services.queue.stats(['default']);
    assert.ok(waiting!.waiting >= 1, 'the run is queued for a worker');
    // What the worker then runs: the task, recorded like `marg schedule:run`'s run.
    const handlers = opsJobs(() => [])(server.services);
    await handlers['ops.run-task']!({ task: 'sessions:prune' }, { job: undefined as never, signal: new AbortController().signal });
    assert.match((await admin.get('ops', '/schedule')).text, /data-task="sessions:prune">[\s\S]*?<span class="badge good"[^>]*>ok<\/span>/);
  });

  it('takes the apps down with a message and brings them up, keeping the operator in', async () => {
    const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
    const down = await submit(admin, '/maintenance', '/maintenance', { action: 'down', message: 'Back at noon' });
    assert.equal(down.status, 303);
    assert.ok(admin.cookie('marg_maintenance'), 'the operator got the bypass cookie');
    const visitor = server.client();
    await until(async () => (await visitor.get('links', '/api/me', { allowServerError: true })).status === 503);
    assert.match((await admin.get('ops', '/maintenance')).text, /Back at noon/);
    assert.equal((await submit(admin, '/maintenance', '/maintenance', { action: 'up' })).status, 303);
    await until(async () => (await visitor.get('links', '/api/me', { allowServerError: true })).status === 401);
    const events = (await server.services.audit.list(5)).map((e) => e.event);
    assert.ok(events.includes('ops.maintenance_down') && events.includes('ops.maintenance_up'));
    const viewer = await signedIn([{ app: 'ops', role: 'viewer' }]);
    assert.doesNotMatch((await viewer.get('ops', '/maintenance')).text, /Take the apps down|Bring the apps back up/);
    assert.equal((await submit(viewer, '/maintenance', '/maintenance', { action: 'down' })).status, 403);
  });

  it('serves uPlot (the shared chart assets) and its own script on the ops host, and the services page', async () => {
    const client = server.client();
    const js = await client.get('ops', '/assets/uplot.min.js');
    assert.equal(js.status, 200);
    assert.match(js.text, /uPlot/);
    assert.equal((await client.get('ops', '/static/ops.js')).status, 200);
    const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
    const page = await admin.get('ops', '/services');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h2>Search<\/h2>/);
    assert.match(page.text, /No backups yet\.|id="backups"/);
  });

  it('shows what a realtime server reports: connections, subscriptions per node, messages/s', async () => {
    const clock = { now: Date.parse('2026-12-06T12:00:30Z') };
    let sent = 1_000;
    const remove = addRealtimeSource(() => ({ connections: 3, subscriptions: 5, messagesIn: 0, messagesOut: sent }));
    const recorder = new TelemetryRecorder(() => clock.now);
    const reporter = startTelemetryReporter({ store: server.services.telemetry, roles: ['realtime'], logger: server.services.logger, node: 'rt-1:9', recorder, clock: () => Date.now() });
    try {
      sent += 600;
      await reporter.flush();
      const samples = await server.services.telemetry.samples(0);
      const mine = samples.filter((s) => s.node === 'rt-1:9');
      assert.equal(mine.reduce((n, s) => n + s.sample.realtimeMessages, 0), 600, 'the messages sent since the reporter started');
      const admin = await signedIn([{ app: 'ops', role: 'admin' }]);
      const page = await admin.get('ops', '/services');
      assert.match(page.text, /<tr><td><code>rt-1:9<\/code><\/td><td>3<\/td><td>5<\/td><\/tr>/);
    } finally {
      remove();
      await reporter.stop();
    }
  });
});

describe('ops insights from the worker role', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { worker: true });
  });
  after(() => server.close());

  it('counts a job that failed in the worker role under its queue and its exception, and shows them', async () => {
    // The process's own recorder, as bootRoles' reporter writes it.
    const reporter = startTelemetryReporter({ store: server.services.telemetry, roles: ['web', 'worker'], logger: server.services.logger, node: 'all-in-one:1' });
    try {
      await server.services.queue.dispatch('ops.no-such-job', { x: 1 }, { tries: 1 });
      await until(async () => (await server.services.failedJobs.failed(10)).some((j) => j.name === 'ops.no-such-job'));
      await reporter.flush();
      const user = await server.createUser({ roles: [{ app: 'ops', role: 'viewer' }] });
      const client = server.client();
      await client.signIn('ops', user.email, TEST_PASSWORD);
      const page = await client.get('ops', '/insights');
      assert.match(page.text, /<table id="slow-jobs">[\s\S]*<code>ops\.no-such-job<\/code><\/td><td>1<\/td>/);
      assert.match(page.text, /<table id="exceptions">[\s\S]*<code>ops\.no-such-job<\/code><\/td><td>1<\/td>/);
      const samples = await server.services.telemetry.samples(0);
      assert.equal(samples.filter((s) => s.node === 'all-in-one:1').reduce((n, s) => n + (s.sample.queues.default?.failed ?? 0), 0), 1);
    } finally {
      await reporter.stop();
    }
  });
});
