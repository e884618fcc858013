import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MaintenanceMode } from '../../src/maintenance/mode.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';

const HTML = { accept: 'text/html' };

describe('the page shell: error pages, favicon, sign-in link, avatar', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  /** The header with the app switcher, and the ways out, are on the page. */
  function assertShell(text: string, apps: string[], label: string) {
    assert.match(text, /<header class="top">/, label);
    const nav = /<nav class="apps"[^>]*>(.*?)<\/nav>/s.exec(text)?.[1] ?? '';
    assert.deepEqual([...nav.matchAll(/>([^<]+)<\/a>/g)].map((m) => m[1]), apps, label);
    assert.match(text, /class="ways"><a href="[^"]+">/, `${label}: a way back`);
    assert.match(text, /rel="icon" href="\/assets\/favicon.svg"/);
  }

  it('404 and 403 pages are inside the shell, with the signed-in user and a way back', async () => {
    const user = await server.createUser({ name: 'Nora Nav', roles: [{ app: 'links', role: 'viewer' }] });
    const client = server.client();
    await client.signIn('links', user.email, TEST_PASSWORD);
    const missing = await client.get('links', '/api-docs/nope/deeper', { headers: HTML });
    assert.equal(missing.status, 404);
    assertShell(missing.text, ['Accounts', 'Links'], '404');
    assert.match(missing.text, /Nora Nav/);
    assert.match(missing.text, /href="http:\/\/links\.marg\.localhost:\d+\/">Links home/);
    const forbidden = await client.get('accounts', '/users', { headers: HTML });
    assert.equal(forbidden.status, 403);
    assertShell(forbidden.text, ['Accounts', 'Links'], '403');
    assert.match(forbidden.text, /Sign in as someone else/);
  });

  it('401 sends a browser to sign-in (GET) or shows the page (POST); next= is never nested', async () => {
    const visitor = server.client();
    const page = await visitor.get('flow', '/?status=todo', { headers: HTML });
    assert.equal(page.status, 302);
    const signin = new URL(String(page.headers.location));
    assert.equal(signin.pathname, '/signin');
    const next = signin.searchParams.get('next')!;
    assert.equal(new URL(next).host, `flow.marg.localhost:${server.port}`);
    const form = await visitor.get('accounts', `${signin.pathname}${signin.search}`);
    assert.equal(form.status, 200);
    assert.doesNotMatch(form.text, /next=[^"]*signin/i, 'no sign-in link wrapping the sign-in page itself');
    assert.equal((form.text.match(/next=/g) ?? []).length, 0, 'the header has no sign-in link on the sign-in page');
    assert.match(form.text, new RegExp(`name="next" value="${next.replace(/[.?]/g, '\\$&')}"`));
    const other = await visitor.get('accounts', '/password/forgot');
    const link = /<div class="who"><a href="([^"]+)">Sign in<\/a>/.exec(other.text)?.[1] ?? '';
    assert.equal((decodeURIComponent(link).match(/next=/g) ?? []).length, 1, link);
    const post = await visitor.post('flow', '/tasks', { form: { title: 'x' }, headers: HTML });
    assert.equal(post.status, 401);
    assertShell(post.text, ['Accounts', 'Flow', 'Links', 'Ops'], '401');
  });

  it('429 is a page in the shell with Retry-After', async () => {
    const limited = await startTestServer({ SIGNIN_RATE_LIMIT: '2' });
    after(() => limited.close());
    const visitor = limited.client();
    let response = await visitor.post('accounts', '/signin', { form: { email: 'a@example.test', password: 'wrong one' } });
    for (let i = 0; i < 3 && response.status !== 429; i += 1) response = await visitor.post('accounts', '/signin', { form: { email: 'a@example.test', password: 'wrong one' }, headers: HTML });
    assert.equal(response.status, 429);
    assert.ok(response.headers['retry-after']);
    assertShell(response.text, ['Accounts', 'Flow', 'Links', 'Ops'], '429');
    assert.match(response.text, /Too many requests/);
  });

  it('503 (maintenance) is a page in the shell', async () => {
    const mode = new MaintenanceMode(server.services.cache);
    await mode.down({ since: new Date().toISOString(), retryAfterSeconds: 60 });
    try {
      await until(async () => (await server.client().get('flow', '/api/me', { allowServerError: true })).status === 503, 3_000);
      const page = await server.client().get('flow', '/', { headers: HTML, allowServerError: true });
      assert.equal(page.status, 503);
      assert.match(page.text, /<header class="top">/);
      assert.match(page.text, /class="ways"/);
    } finally {
      await mode.up();
      await until(async () => (await server.client().get('flow', '/api/me', { allowServerError: true })).status === 401, 3_000);
    }
  });

  it('serves the favicon on every host (no 404 per page), and the initials avatar for users without one', async () => {
    const client = server.client();
    for (const app of ['accounts', 'flow', 'links']) {
      const icon = await client.get(app, '/favicon.ico');
      assert.equal(icon.status, 200, app);
      assert.equal(icon.headers['content-type'], 'image/svg+xml');
      assert.equal(icon.headers['set-cookie'], undefined, 'no session for an icon');
    }
    const user = await server.createUser({ name: 'Ünal <Script> Kaya' });
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    const avatar = await client.get('accounts', `/api/users/${user.id}/avatar?fallback=initials`);
    assert.equal(avatar.status, 200);
    assert.equal(avatar.headers['content-type'], 'image/svg+xml');
    assert.equal(avatar.headers['cross-origin-resource-policy'], 'same-site');
    assert.match(avatar.text, />ÜS<\/text>/);
    assert.equal((await client.get('accounts', `/api/users/${user.id}/avatar`)).status, 404, 'without the fallback: 404 as before');
    const home = await client.get('flow', '/', { headers: HTML });
    assert.match(home.text, new RegExp(`<img class="avatar" src="http://accounts\\.marg\\.localhost:\\d+/api/users/${user.id}/avatar\\?fallback=initials"`));
  });
});
