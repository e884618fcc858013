import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchChromium, requireBrowser } from '../support/browser.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';

const skip = browserSkip('the search browser test');

describe('the search box in a real browser (chromium)', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('types words into the flow board search box and lands on marked results', { skip }, async () => {
    requireBrowser();
    server = await startTestServer({}, { worker: true });
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }, { app: 'links', role: 'editor' }] });
    const editor = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const api = server.client();
    await api.signIn('flow', editor.email, TEST_PASSWORD);
    assert.equal((await api.post('flow', '/api/tasks', { json: { title: 'Feed the axolotl', description: 'Twice a week <b>only</b>' } })).status, 201);
    await until(async () => (await api.get('flow', '/api/search?q=axolotl')).json().data.length === 1, 10_000);

    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    const origin = (app: string) => `http://${app}.marg.localhost:${server!.port}`;
    await page.goto(`${origin('flow')}/`);
    await page.fill('#email', user.email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${origin('flow')}/`), page.click('#signin button[type=submit]')]);

    await page.fill('#search-q', 'axol');
    await Promise.all([page.waitForURL(/\/search\?q=axol$/), page.click('#search button[type=submit]')]);
    const results = page.locator('#search-results li');
    assert.equal(await results.count(), 1);
    assert.equal(await results.locator('mark').first().textContent(), 'axolotl');
    assert.equal(await page.inputValue('#search-q'), 'axol');

    await page.fill('#search-q', '"only twice" -( ');
    await Promise.all([page.waitForNavigation(), page.click('#search button[type=submit]')]);
    assert.equal(await page.locator('#search-results li', { hasText: 'Nothing found.' }).count(), 1);

    await page.goto(`${origin('links')}/`);
    assert.equal(await page.locator('form#search[role=search]').count(), 1, 'links has a search box too');
  });
});
