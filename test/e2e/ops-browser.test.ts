import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { User } from '../../src/auth/users.ts';
import { QueueWorker } from '../../src/queue/worker.ts';
import { startTelemetryReporter, type RunningReporter } from '../../src/telemetry/reporter.ts';
import { TelemetryRecorder } from '../../src/telemetry/recorder.ts';
import { browserSkip, launchChromium, requireBrowser, signedInContext, type WatchedPage } from '../support/browser.ts';
import { checkPage } from '../support/page-checks.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';

const skip = browserSkip('the ops browser test');

const WIDTHS = [1280, 390];

describe('the ops pages in a real browser (chromium)', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let admin: User;
  let viewer: User;
  let outsider: User;
  let worker: QueueWorker;
  let workerDone: Promise<unknown>;
  const reporters: RunningReporter[] = [];
  /** Deliveries of `test.flaky`: the first fails (on purpose), every later one succeeds. */
  const flakyRuns: string[] = [];
  const origin = (app: string) => `http://${app}.marg.localhost:${server.port}`;

  before(async () => {
    requireBrowser();
    server = await startTestServer();
    admin = await server.createUser({ name: 'Olga Ops', roles: [{ app: 'ops', role: 'admin' }] });
    viewer = await server.createUser({ name: 'Vic Viewer', roles: [{ app: 'ops', role: 'viewer' }] });
    outsider = await server.createUser({ name: 'Flo Flow', roles: [{ app: 'flow', role: 'editor' }] });
    // Two web nodes reporting into this platform's store (the real-process pair is test/e2e/ops-nodes.test.ts).
    for (const node of ['web-1:101', 'web-2:102']) {
      const recorder = new TelemetryRecorder();
      for (let i = 0; i < 40; i++) recorder.request('GET flow /api/tasks', i % 10 === 0 ? 500 : 200, 5 + i);
      const reporter = startTelemetryReporter({ store: server.services.telemetry, roles: ['web'], logger: server.services.logger, node, recorder, intervalMs: 1_000 });
      await reporter.flush();
      reporters.push(reporter);
    }
    worker = new QueueWorker(
      server.services.jobSource,
      server.services.queue,
      {
        async 'test.flaky'(payload) {
          flakyRuns.push(JSON.stringify(payload));
          if (flakyRuns.length === 1) throw new Error('failed on purpose');
        },
      },
      { queues: ['flaky'], concurrency: 1, tries: 1, timeoutMs: 10_000, idleMs: 20, graceMs: 2_000 },
      server.services.logger,
    );
    workerDone = worker.run();
    await server.services.queue.dispatch('test.flaky', { order: 'B-42' }, { queue: 'flaky', tries: 1 });
    await until(async () => (await server.services.failedJobs.failed(10)).length === 1);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await workerDone;
    for (const r of reporters) await r.stop();
    await server?.close();
  });

  const signedIn = (user: User, width: number): Promise<WatchedPage> => signedInContext(browser, width, { accounts: origin('accounts'), email: user.email, password: TEST_PASSWORD });

  it('an admin sees both web nodes and charts drawn by uPlot; every page fits 1,280 and 390 px', async (t) => {
    const failures: string[] = [];
    for (const width of WIDTHS) {
      const { context, page, cspErrors } = await signedIn(admin, width);
      await page.goto(`${origin('ops')}/`);
      for (const node of ['web-1:101', 'web-2:102']) assert.equal(await page.locator(`tr.node-up[data-node="${node}"]`).count(), 1, `${node} at ${width}px`);
      await page.waitForSelector('[data-chart="rps"] canvas');
      assert.equal(await page.locator('.plot canvas').count(), 3, 'three charts drawn');
      for (const [name, path] of [['ops-overview', '/'], ['ops-queues', '/queues'], ['ops-schedule', '/schedule'], ['ops-insights', '/insights'], ['ops-services', '/services'], ['ops-maintenance', '/maintenance']] as const) {
        const response = await page.goto(`${origin('ops')}${path}`);
        assert.equal(response?.status(), 200, `${name} at ${width}px`);
        if (path === '/') await page.waitForSelector('[data-chart="rps"] canvas');
        const report = await checkPage(page, name);
        t.diagnostic(`${name} at ${width}px: scrollWidth ${report.scrollWidth}, screenshot ${report.screenshot}`);
        if (report.scrollWidth > report.viewport) failures.push(`${name} at ${width}px is ${report.scrollWidth}px wide`);
        for (const v of report.violations) failures.push(`${name} at ${width}px: ${v}`);
      }
      for (const e of cspErrors) failures.push(`CSP at ${width}px: ${e}`);
      await context.close();
    }
    assert.deepEqual(failures, []);
  });

  it('a viewer sees the failed job but no action buttons; a user without ops roles gets 403', async () => {
    const seen = await signedIn(viewer, 390);
    await seen.page.goto(`${origin('ops')}/queues`);
    assert.equal(await seen.page.locator('#failed-jobs li').count(), 1);
    assert.equal(await seen.page.locator('main button').count(), 0, 'no action buttons for a viewer');
    await seen.page.goto(`${origin('ops')}/schedule`);
    assert.equal(await seen.page.locator('main button').count(), 0);
    await seen.context.close();

    const refused = await signedIn(outsider, 1280);
    const response = await refused.page.goto(`${origin('ops')}/`);
    assert.equal(response?.status(), 403);
    await checkPage(refused.page, 'ops-403');
    await refused.context.close();
  });

  it('an admin retries the job that failed on purpose: it runs once more and succeeds', async () => {
    const { context, page } = await signedIn(admin, 1280);
    await page.goto(`${origin('ops')}/queues`);
    const job = page.locator('#failed-jobs li');
    assert.equal(await job.count(), 1);
    assert.match((await job.textContent()) ?? '', /test\.flaky[\s\S]*failed on purpose/);
    await job.locator('summary').click();
    assert.match((await job.locator('pre').first().textContent()) ?? '', /"order": "B-42"/);
    await Promise.all([page.waitForURL(`${origin('ops')}/queues`), job.locator('button', { hasText: 'Retry' }).click()]);
    assert.match((await page.locator('.flash').textContent()) ?? '', /is queued again/);
    await until(() => flakyRuns.length === 2);
    await until(async () => (await server.services.queue.stats(['flaky']))[0]!.waiting === 0 && worker.processed >= 2);
    assert.deepEqual(flakyRuns, ['{"order":"B-42"}', '{"order":"B-42"}'], 'one failed delivery, one retried delivery');
    assert.deepEqual(await server.services.failedJobs.failed(10), []);
    await page.goto(`${origin('ops')}/queues`);
    assert.equal(await page.locator('#no-failed').count(), 1);
    await checkPage(page, 'ops-queues-after-retry');
    assert.equal((await server.services.audit.list(1, { event: 'ops.job_retried' }))[0]?.actorId, admin.id);
    await context.close();
  });
});
