import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchChromium, requireBrowser } from '../support/browser.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const skip = browserSkip('the browser test');

/** A person's path through a real browser: sign in once on accounts, land on flow, signed in on links too. */
describe('in a real browser (chromium)', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'signs in through the accounts form, returns to the flow task list, and is signed in on links',
    { skip },
    async (t) => {
      requireBrowser();
      server = await startTestServer();
      const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
      const title = `Water the ficus ${randomUUID().slice(0, 8)}`;
      const api = server.client();
      await api.signIn('flow', user.email, TEST_PASSWORD);
      const created = await api.post('flow', '/api/tasks', { json: { title } });
      assert.equal(created.status, 201, created.text);

      browser = await launchChromium();
      const context = await browser.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.setDefaultNavigationTimeout(15_000);
      const origin = (app: string) => `http://${app}.marg.localhost:${server!.port}`;

      await page.goto(`${origin('flow')}/`);
      assert.ok(page.url().startsWith(`${origin('accounts')}/signin?next=`), `redirected to sign-in, got ${page.url()}`);
      await page.fill('#email', user.email);
      await page.fill('#password', TEST_PASSWORD);
      await Promise.all([page.waitForURL(`${origin('flow')}/`), page.click('#signin button[type=submit]')]);

      assert.equal(await page.locator('h1').first().textContent(), 'Tasks');
      assert.equal(await page.locator('tr', { hasText: title }).count(), 1, `one row for "${title}"`);
      const screenshot = join(tmpdir(), `marg-flow-tasks-${process.pid}.png`);
      await page.screenshot({ path: screenshot, fullPage: true });
      t.diagnostic(`screenshot of the flow task list: ${screenshot}`);

      // Single sign-on: the cookie the accounts host set is the browser's session on links too.
      const links = await context.newPage();
      const me = await links.goto(`${origin('links')}/api/me`);
      assert.equal(me?.status(), 200, await me?.text());
      assert.equal((await me!.json()).email, user.email);
    },
  );
});
