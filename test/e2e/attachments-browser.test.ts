import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { upload } from '../support/attachments.ts';
import { browserSkip, launchChromium, requireBrowser } from '../support/browser.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const skip = browserSkip('the attachments browser test');

describe('task attachments in a real browser (chromium)', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists a task\'s files on its page, a click downloads the file under its name, and the page form uploads one', { skip }, async () => {
    requireBrowser();
    server = await startTestServer();
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const api = server.client();
    await api.signIn('flow', user.email, TEST_PASSWORD);
    const task = (await api.post('flow', '/api/tasks', { json: { title: 'Quarterly figures' } })).json();
    const bytes = Buffer.from('quarter,total\nQ1,12\nQ2,15\n');
    assert.equal((await upload(api, task.id, bytes, 'figures.csv', 'text/csv')).status, 201);

    browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const origin = (app: string) => `http://${app}.marg.localhost:${server!.port}`;
    await page.goto(`${origin('flow')}/`);
    await page.fill('#email', user.email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${origin('flow')}/`), page.click('#signin button[type=submit]')]);

    assert.equal(await page.locator(`#task-${task.id} td.title`).getByText('1 file').count(), 1, 'the board counts the files');
    await Promise.all([page.waitForURL(`${origin('flow')}/tasks/${task.id}`), page.click(`#task-${task.id} td.title a`)]);
    const link = page.locator('#attachments ul.files a');
    assert.equal(await link.textContent(), 'figures.csv');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'figures.csv');
    assert.deepEqual(await readFile((await download.path())!), bytes);

    // The upload form: multipart, its CSRF token in a field (no script involved).
    await page.setInputFiles('#upload-file', { name: 'minutes.txt', mimeType: 'text/plain', buffer: Buffer.from('Minutes of the meeting\n') });
    await Promise.all([page.waitForURL(`${origin('flow')}/tasks/${task.id}#attachments`), page.click('#upload button[type=submit]')]);
    assert.equal(await page.locator('.flash').textContent(), 'Uploaded minutes.txt.');
    assert.deepEqual(await page.locator('#attachments ul.files a').allTextContents(), ['figures.csv', 'minutes.txt']);
    // Deleting a file asks first (the page script's confirm), then it is gone.
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([page.waitForURL(`${origin('flow')}/tasks/${task.id}#attachments`), page.click('button[aria-label="Delete figures.csv"]')]);
    assert.deepEqual(await page.locator('#attachments ul.files a').allTextContents(), ['minutes.txt']);
  });
});
