import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { APPS } from '../../apps/index.ts';
import { embeddedRealtime } from '../../src/platform/realtime-role.ts';
import type { RunningRole } from '../../src/platform/boot.ts';
import { browserSkip, launchChromium, requireBrowser } from '../support/browser.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { realtimeEnv } from '../realtime/support.ts';

const skip = browserSkip('the live board browser test');

/** `npm start`'s arrangement: the WebSocket on the web port under ws.<MARG_DOMAIN>, the in-process broadcast port. */
describe('live flow board in a real browser (chromium)', () => {
  let server: TestServer | undefined;
  let realtime: RunningRole | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await realtime?.stop();
    await server?.close();
  });

  it('shows a task created through the API and a status changed in another page, without a reload', { skip }, async () => {
    requireBrowser();
    server = await startTestServer(realtimeEnv({ BROADCAST_CONNECTION: 'memory' }));
    const embedded = embeddedRealtime();
    realtime = await embedded.role.start(server.services, APPS);
    embedded.attach(server.web.server.server);
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const api = server.client();
    await api.signIn('flow', user.email, TEST_PASSWORD);
    const first = await api.post('flow', '/api/tasks', { json: { title: `First ${randomUUID().slice(0, 8)}` } });
    assert.equal(first.status, 201);

    browser = await launchChromium();
    const context = await browser.newContext();
    const origin = (app: string) => `http://${app}.marg.localhost:${server!.port}`;
    const watcher = await context.newPage();
    watcher.setDefaultTimeout(15_000);
    const problems: string[] = [];
    // Every answer the live page got (scripts, the auth POST, its refetches) but the favicon Marg does not have.
    watcher.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && problems.push(`${r.status()} ${r.url()}`));
    watcher.on('pageerror', (error) => problems.push(error.message));
    await watcher.goto(`${origin('flow')}/`);
    await watcher.fill('#email', user.email);
    await watcher.fill('#password', TEST_PASSWORD);
    await Promise.all([watcher.waitForURL(`${origin('flow')}/`), watcher.click('#signin button[type=submit]')]);
    await watcher.waitForSelector('html[data-live="subscribed"]');
    // Survives only as long as the page is not reloaded.
    await watcher.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    const title = `Live ${randomUUID().slice(0, 8)}`;
    const created = await api.post('flow', '/api/tasks', { json: { title } });
    assert.equal(created.status, 201);
    await watcher.locator('#tasks tr', { hasText: title }).waitFor();

    // Another page changes the first task's status through its form.
    const other = await context.newPage();
    other.setDefaultTimeout(15_000);
    await other.goto(`${origin('flow')}/`);
    const id = (first.json() as { id: number }).id;
    await Promise.all([other.waitForURL(`${origin('flow')}/`), other.locator(`#task-${id} form[action="/tasks/${id}/status"]`).evaluate((form: HTMLFormElement) => {
      (form.querySelector('select[name=status]') as HTMLSelectElement).value = 'done';
      form.submit();
    })]);
    await watcher.waitForFunction((taskId) => document.querySelector(`#task-${taskId} select[name=status]`)?.querySelector('option[selected]')?.getAttribute('value') === 'done', id);
    assert.equal(await watcher.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');
    assert.deepEqual(problems, []);
  });
});
