import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { User } from '../../src/auth/users.ts';
import { browserSkip, launchChromium, requireBrowser, signInPage, watchedContext, type WatchedPage } from '../support/browser.ts';
import { recordSecret } from '../support/log-capture.ts';
import { MailLog, resetLink } from '../support/mail-log.ts';
import { ARTIFACTS_DIR, checkPage } from '../support/page-checks.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const skip = browserSkip('the accounts browser test');

const WIDTHS = [390, 1280] as const;
const NEW_PASSWORD = 'a browser-chosen passphrase';
recordSecret(NEW_PASSWORD);

/** The shell and the accounts pages in real chromium, at phone and desktop width; the account flows end to end. */
describe('accounts pages and the shell in a real browser (chromium)', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let mail: MailLog;
  let admin: User;
  let viewer: User;
  const origin = (app: string) => `http://${app}.marg.localhost:${server.port}`;

  before(async () => {
    requireBrowser();
    server = await startTestServer({ MAIL_MAILER: 'log' }, { worker: true });
    mail = new MailLog(server.config.mail.directory);
    admin = await server.createUser({
      name: 'Ada Lovelace-Byron, Countess of Lovelace',
      roles: ['accounts', 'flow', 'links'].map((app) => ({ app, role: 'admin' as const })),
    });
    viewer = await server.createUser({ name: 'Vera Viewer', roles: [{ app: 'flow', role: 'viewer' }] });
    const api = server.client();
    await api.signIn('flow', admin.email, TEST_PASSWORD);
    for (const title of ['Water the ficus', 'Renew the very-long-domain-name-for-the-staging-environment.example.com certificate before it expires']) {
      assert.equal((await api.post('flow', '/api/tasks', { json: { title } })).status, 201);
    }
    const long = await api.post('links', '/api/links', { json: { url: `https://example.com/${'a-very-long-path-segment/'.repeat(8)}?utm_source=newsletter&utm_medium=email` } });
    assert.equal(long.status, 201, long.text);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const contextAt = (width: number): Promise<WatchedPage> => watchedContext(browser, width);
  const signIn = (page: Page, email: string, password = TEST_PASSWORD, next = `${origin('accounts')}/`) => signInPage(page, { accounts: origin('accounts'), email, password, next });

  it('every page fits the screen at 390 and 1,280 px, has no serious axe violations, and keeps to the CSP', async (t) => {
    const failures: string[] = [];
    for (const width of WIDTHS) {
      const signedOut = await contextAt(width);
      const admin_ = await contextAt(width);
      const viewer_ = await contextAt(width);
      await signIn(admin_.page, admin.email);
      await signIn(viewer_.page, viewer.email);
      const visits: [Page, string, string, number][] = [
        [signedOut.page, 'signin', `${origin('accounts')}/signin?next=${encodeURIComponent(`${origin('flow')}/`)}`, 200],
        [signedOut.page, 'forgot', `${origin('accounts')}/password/forgot`, 200],
        [signedOut.page, 'reset', `${origin('accounts')}/password/reset?token=not-a-real-token`, 200],
        [admin_.page, 'account', `${origin('accounts')}/`, 200],
        [admin_.page, 'tokens', `${origin('accounts')}/tokens`, 200],
        [admin_.page, 'users', `${origin('accounts')}/users`, 200],
        [admin_.page, 'user', `${origin('accounts')}/users/${viewer.id}`, 200],
        [admin_.page, 'audit', `${origin('accounts')}/audit`, 200],
        [admin_.page, 'flow-tasks', `${origin('flow')}/`, 200],
        [admin_.page, 'links', `${origin('links')}/`, 200],
        [admin_.page, 'error-404', `${origin('flow')}/no-such-page`, 404],
        [viewer_.page, 'error-403', `${origin('accounts')}/users`, 403],
        [viewer_.page, 'viewer-flow', `${origin('flow')}/`, 200],
      ];
      for (const [page, name, url, status] of visits) {
        const response = await page.goto(url);
        assert.equal(response?.status(), status, `${name} at ${width}px: ${url}`);
        const report = await checkPage(page, name);
        t.diagnostic(`${name} at ${width}px: scrollWidth ${report.scrollWidth}, screenshot ${report.screenshot}`);
        if (report.scrollWidth > report.viewport) failures.push(`${name} at ${width}px is ${report.scrollWidth}px wide`);
        for (const v of report.violations) failures.push(`${name} at ${width}px: ${v}`);
        // Every control stays on screen: the header's sign-out and account link too.
        if (name !== 'signin' && name !== 'forgot' && name !== 'reset') {
          const box = await page.locator('header.top button', { hasText: 'Sign out' }).boundingBox();
          if (!box || box.x < 0 || box.x + box.width > width) failures.push(`${name} at ${width}px: "Sign out" is off screen (${JSON.stringify(box)})`);
        }
      }
      for (const c of [signedOut, admin_, viewer_]) {
        for (const e of c.cspErrors) failures.push(`CSP at ${width}px: ${e}`);
        await c.context.close();
      }
    }
    t.diagnostic(`screenshots in ${ARTIFACTS_DIR}`);
    assert.deepEqual(failures, []);
  });

  it('the header shows the avatar and name, switches between the apps the user may see, and formats dates locally', async () => {
    const { context, page } = await contextAt(1280);
    await signIn(page, viewer.email, TEST_PASSWORD, `${origin('flow')}/`);
    const apps = await page.locator('nav.apps a').allTextContents();
    assert.deepEqual(apps, ['Accounts', 'Flow'], 'links is not offered to someone without a links role');
    assert.equal(await page.locator('header .me .name').textContent(), 'Vera Viewer');
    const avatar = page.locator('header img.avatar');
    assert.equal(await avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), true, 'the avatar loads');
    await page.goto(`${origin('accounts')}/`);
    const time = page.locator('main time[datetime]').first();
    const [datetime, text] = [await time.getAttribute('datetime'), await time.textContent()];
    assert.ok(datetime && text && !text.includes('UTC') && !text.includes('T'), `formatted by the script: ${text}`);
    const favicon = await page.goto(`${origin('flow')}/favicon.ico`);
    assert.equal(favicon?.status(), 200);
    assert.equal(favicon?.headers()['content-type'], 'image/svg+xml');
    await context.close();
  });

  it('resets a forgotten password from the mail link', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const { context, page } = await contextAt(390);
    await page.goto(`${origin('accounts')}/signin`);
    await Promise.all([page.waitForURL(`${origin('accounts')}/password/forgot`), page.click('text=Forgot your password?')]);
    await page.fill('#email', user.email);
    await page.click('#forgot button[type=submit]');
    await page.locator('text=If an account exists').waitFor();
    const link = resetLink(await mail.next(user.email));
    recordSecret(link.searchParams.get('token') ?? undefined);
    await page.goto(link.toString());
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#confirm', NEW_PASSWORD);
    await Promise.all([page.waitForURL(`${origin('accounts')}/signin`), page.click('#reset button[type=submit]')]);
    await page.locator('text=Your password is changed').waitFor();
    await checkPage(page, 'flow-reset-done');
    await signIn(page, user.email, NEW_PASSWORD, `${origin('flow')}/`);
    assert.equal(await page.locator('header .me .name').textContent(), user.name);
    // The link worked once.
    await page.goto(link.toString());
    await page.fill('#password', 'yet another passphrase');
    await page.fill('#confirm', 'yet another passphrase');
    await page.click('#reset button[type=submit]');
    await page.locator('text=already been used').waitFor();
    await context.close();
  });

  it('changes the password and sees the other session end', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const laptop = await contextAt(1280);
    const phone = await contextAt(390);
    await signIn(laptop.page, user.email);
    await signIn(phone.page, user.email, TEST_PASSWORD, `${origin('flow')}/`);
    await laptop.page.goto(`${origin('accounts')}/`);
    assert.equal(await laptop.page.locator('#sessions + .table-wrap tbody tr').count(), 2);
    await laptop.page.fill('#current-password', TEST_PASSWORD);
    await laptop.page.fill('#new-password', NEW_PASSWORD);
    await laptop.page.fill('#confirm-password', NEW_PASSWORD);
    await laptop.page.click('#password-form button[type=submit]');
    await laptop.page.locator('text=1 other session(s) signed out').waitFor();
    assert.equal(await laptop.page.locator('#sessions + .table-wrap tbody tr').count(), 1);
    await checkPage(laptop.page, 'flow-password-changed');
    // The phone's next page load lands on sign-in.
    await phone.page.goto(`${origin('flow')}/`);
    assert.ok(phone.page.url().startsWith(`${origin('accounts')}/signin`), phone.page.url());
    await laptop.context.close();
    await phone.context.close();
  });

  it('creates an API token, calls /api/tasks on flow with it, revokes it, and gets 401', async () => {
    const { context, page } = await contextAt(390);
    await signIn(page, admin.email, TEST_PASSWORD, `${origin('accounts')}/tokens`);
    await page.fill('#token-name', 'browser test script');
    await page.check('input[name=abilities][value="flow.tasks.read"]');
    await page.click('#create-token button[type=submit]');
    const token = (await page.locator('#token-value').textContent())?.trim() ?? '';
    recordSecret(token);
    assert.match(token, /^marg_pat_/);
    await checkPage(page, 'flow-token-created');

    // curl-style, from a fresh browser on the flow host: no cookies, only the header.
    const script = await contextAt(1280);
    await script.page.goto(`${origin('flow')}/favicon.ico`);
    const call = () =>
      script.page.evaluate(async (bearer) => {
        const response = await fetch('/api/tasks', { headers: { authorization: `Bearer ${bearer}` }, credentials: 'omit' });
        return { status: response.status, body: (await response.json()) as { data?: unknown[]; error?: { code: string } } };
      }, token);
    const ok = await call();
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(ok.body.data));

    await page.goto(`${origin('accounts')}/tokens`);
    page.once('dialog', (dialog) => void dialog.accept());
    const row = page.locator('#tokens tr', { hasText: 'browser test script' });
    await Promise.all([page.waitForURL(`${origin('accounts')}/tokens`), row.locator('button', { hasText: 'Revoke' }).click()]);
    await page.locator('text=Token revoked').waitFor();
    const refused = await call();
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error?.code, 'invalid_token');
    await script.context.close();
    await context.close();
  });
});
