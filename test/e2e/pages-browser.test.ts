import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { LinksDatabase } from '../../apps/links/links-store.ts';
import type { User } from '../../src/auth/users.ts';
import { browserSkip, launchChromium, requireBrowser, signedInContext, type WatchedPage } from '../support/browser.ts';
import { checkPage } from '../support/page-checks.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const skip = browserSkip('the pages browser test');
const WIDTHS = [390, 1280] as const;

/** The flow task page, the board and the link page in real chromium at phone and desktop width; edit and delete flows. */
describe('task and link pages in a real browser (chromium)', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let editor: User;
  let taskId: number;
  let linkId: number;
  const origin = (app: string) => `http://${app}.marg.localhost:${server.port}`;

  before(async () => {
    requireBrowser();
    server = await startTestServer();
    editor = await server.createUser({
      name: 'Eddie Editor-Longname of the Operations Team',
      roles: [
        { app: 'flow', role: 'admin' },
        { app: 'links', role: 'editor' },
      ],
    });
    const api = server.client();
    await api.signIn('flow', editor.email, TEST_PASSWORD);
    const task = await api.post('flow', '/api/tasks', {
      json: { title: 'Renew the very-long-domain-name-for-the-staging-environment.example.com certificate', description: 'Before it expires.\nAsk ops.', dueDate: '2026-12-24', assigneeId: editor.id },
    });
    assert.equal(task.status, 201, task.text);
    taskId = task.json().id;
    for (let i = 0; i < 3; i++) assert.equal((await api.post('flow', '/api/tasks', { json: { title: `Chore ${i}`, status: 'doing' } })).status, 201);
    const link = await api.post('links', '/api/links', { json: { url: `https://example.com/${'a-very-long-path-segment/'.repeat(6)}`, title: 'Newsletter' } });
    assert.equal(link.status, 201, link.text);
    linkId = link.json().id;
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
    await server.services.databases
      .get<LinksDatabase>('links')
      .db.insertInto('link_clicks_daily')
      .values([1, 2, 3, 5, 8, 13].map((offset, i) => ({ link_id: linkId, day: day(offset), clicks: (i + 1) * 3 })))
      .execute();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const signedInAt = (width: number): Promise<WatchedPage> =>
    signedInContext(browser, width, { accounts: origin('accounts'), email: editor.email, password: TEST_PASSWORD, next: `${origin('flow')}/` });

  it('the board, task page, delete confirmation and link page fit 390 and 1,280 px, pass axe, keep to the CSP, and draw the chart', async (t) => {
    const failures: string[] = [];
    for (const width of WIDTHS) {
      const { context, page, cspErrors } = await signedInAt(width);
      const visits: [string, string][] = [
        ['flow-board', `${origin('flow')}/`],
        ['flow-task', `${origin('flow')}/tasks/${taskId}`],
        ['flow-task-delete', `${origin('flow')}/tasks/${taskId}/delete`],
        ['flow-settings', `${origin('flow')}/settings`],
        ['flow-api-docs', `${origin('flow')}/api/docs`],
        ['links-link', `${origin('links')}/links/${linkId}`],
      ];
      for (const [name, url] of visits) {
        const response = await page.goto(url);
        assert.equal(response?.status(), 200, `${name} at ${width}px`);
        if (name === 'links-link') await page.waitForSelector('[data-chart][data-drawn] canvas');
        if (name === 'flow-board') {
          // Issue 17: a row was about 205 px (two select+button pairs and a Delete); now one line when the title is short.
          const heights = await page.locator('#tasks tbody tr', { hasText: 'Chore' }).evaluateAll((rows) => rows.map((r) => Math.round(r.getBoundingClientRect().height)));
          t.diagnostic(`board row heights at ${width}px: ${heights.join(', ')}`);
          for (const h of heights) if (h > 90) failures.push(`a short board row is ${h}px high at ${width}px`);
        }
        const report = await checkPage(page, `pages-${name}`);
        t.diagnostic(`${name} at ${width}px: ${report.screenshot} (scrollWidth ${report.scrollWidth})`);
        if (report.scrollWidth > report.viewport) failures.push(`${name} at ${width}px is ${report.scrollWidth}px wide`);
        for (const v of report.violations) failures.push(`${name} at ${width}px: ${v}`);
      }
      for (const e of cspErrors) failures.push(`CSP at ${width}px: ${e}`);
      await context.close();
    }
    assert.deepEqual(failures, []);
  });

  it('changes a status inline with feedback, edits a task from its page, deletes one after confirming', async () => {
    const { context, page } = await signedInAt(390);
    const row = page.locator('tr', { hasText: 'Chore 0' });
    await row.locator('select[name=status]').selectOption('done');
    await row.locator('.saved', { hasText: 'Saved' }).waitFor();
    await page.reload();
    assert.equal(await page.locator('tr', { hasText: 'Chore 0' }).locator('select[name=status]').inputValue(), 'done');

    await page.locator('tr', { hasText: 'Chore 1' }).locator('a', { hasText: 'Chore 1' }).click();
    await page.waitForURL(/\/tasks\/\d+$/);
    await page.fill('#edit-title', 'Chore 1, edited in the browser');
    await page.fill('#edit-description', 'With a description now');
    await page.selectOption('#edit-status', 'todo');
    await page.fill('#edit-due', '2027-01-15');
    await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.click('#edit-task button[type=submit]')]);
    assert.equal(await page.locator('h1').textContent(), 'Chore 1, edited in the browser');
    assert.equal(await page.locator('.flash').textContent(), 'Saved.');
    assert.equal(await page.locator('ol.activity li', { hasText: 'set the due date to 2027-01-15' }).count(), 1);
    await checkPage(page, 'pages-flow-task-edited');

    await page.click('a:has-text("Delete this task")');
    await page.waitForURL(/\/tasks\/\d+\/delete$/);
    await page.click('a:has-text("Cancel")');
    await page.waitForURL(/\/tasks\/\d+$/);
    await page.click('a:has-text("Delete this task")');
    await Promise.all([page.waitForURL(`${origin('flow')}/`), page.click('#confirm-delete button[type=submit]')]);
    assert.equal(await page.locator('.flash').textContent(), 'Deleted “Chore 1, edited in the browser”.');
    assert.equal(await page.locator('tr', { hasText: 'edited in the browser' }).count(), 0);
    await context.close();
  });
});
