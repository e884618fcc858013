import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { balancerInstalled, ClusterFixture, DOMAIN, PASSWORD } from '../cluster/fixture.ts';
import { browserSkip, launchChromium, requireBrowser, signedInContext } from '../support/browser.ts';
import { withCliServices } from '../support/cli.ts';
import { checkPage } from '../support/page-checks.ts';
import { until } from '../support/wait.ts';

const haproxy = await balancerInstalled('haproxy');
const skip = browserSkip('the ops cluster browser test') || (haproxy.skipReason ?? false);

/**
 * Issue 18's "done when" with real processes: `marg cluster up` (HAProxy in front of two
 * `marg serve` and one `marg work`, on this project's SQLite files, which are the shared
 * telemetry store) seen by an ops admin in Chromium through the balancer. After web-2 is killed
 * with SIGKILL (no goodbye) its row turns red once three heartbeats are missed (MISSING_AFTER_MS,
 * 15 s; the 90 s wait is only a hang detector).
 */
describe('ops overview of a real `marg cluster`, in Chromium', { skip }, () => {
  const cluster = new ClusterFixture(false);
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await cluster.cleanup();
  });

  it('an ops admin sees both web nodes and the worker of the cluster; a SIGKILLed web node turns red', { timeout: 110_000 }, async (t) => {
    requireBrowser();
    await cluster.up(['--web', '2', '--workers', '1', '--schedulers', '0']);
    const email = `ops-cluster-${process.pid}@example.test`;
    await withCliServices(cluster.cwd, cluster.env, async (services) => {
      const user = await services.users.create({ email, name: 'Ops Admin', password: PASSWORD });
      await services.rbac.grant(user.id, { app: 'ops', role: 'admin' });
    });
    // Telemetry names a node by host and pid, as the scheduler does.
    const node = (member: string) => `${hostname()}:${cluster.member(member).process.pid}`;
    const [web1, web2, worker] = [node('web-1'), node('web-2'), node('worker-1')];

    browser = await launchChromium();
    const origin = (app: string) => `http://${app}.${DOMAIN}:${cluster.port}`;
    const { context, page, cspErrors } = await signedInContext(browser, 1280, { accounts: origin('accounts'), email, password: PASSWORD, next: `${origin('ops')}/` });
    const rowOf = async (p: Page, name: string) => (await p.locator(`tr[data-node="${name}"]`).getAttribute('class', { timeout: 1_000 }).catch(() => null)) ?? 'absent';
    const overview = async () => {
      const response = await page.goto(`${origin('ops')}/`);
      assert.equal(response?.status(), 200);
      return { web1: await rowOf(page, web1), web2: await rowOf(page, web2), worker: await rowOf(page, worker) };
    };

    // Nodes write their first heartbeat within seconds of starting.
    await until(async () => Object.values(await overview()).every((c) => c === 'node-up'), 60_000);
    // Each row shows the name `marg cluster` gave the process (MARG_NODE_NAME) and its role.
    for (const [name, key, role] of [['web-1', web1, 'web'], ['web-2', web2, 'web'], ['worker-1', worker, 'worker']] as const) {
      const cells = page.locator(`tr[data-node="${key}"] td`);
      assert.equal(((await cells.nth(0).textContent()) ?? '').replace(/\s+/g, ' ').trim(), `${name} ${key}`, `${name}'s name and key`);
      assert.equal(await cells.nth(2).textContent(), role, `${name}'s role`);
    }
    const report = await checkPage(page, 'ops-cluster-overview');
    t.diagnostic(`overview of the cluster: screenshot ${report.screenshot}`);
    assert.ok(report.scrollWidth <= report.viewport, `the overview is ${report.scrollWidth}px wide at ${report.viewport}px`);

    const killedAt = Date.now();
    process.kill(cluster.member('web-2').process.pid, 'SIGKILL');
    let seen = { web1: '', web2: '', worker: '' };
    await until(async () => (seen = await overview()).web2 === 'node-missing', 90_000);
    t.diagnostic(`web-2 shown missing ${Date.now() - killedAt} ms after SIGKILL`);
    assert.deepEqual(seen, { web1: 'node-up', web2: 'node-missing', worker: 'node-up' }, 'only the killed node turns red');
    assert.match((await page.locator(`tr[data-node="${web2}"]`).textContent()) ?? '', /missing/);
    await checkPage(page, 'ops-cluster-node-missing');
    assert.deepEqual(cspErrors, []);
    await context.close();
  });
});
