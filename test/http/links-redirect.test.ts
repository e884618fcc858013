import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/wait.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

describe('links public redirect /:slug', () => {
  let server: TestServer;
  let editor: HostClient;
  /** A signed-out visitor: the redirect needs no session. */
  let visitor: HostClient;

  const create = async (json: { url: string; slug?: string; title?: string }) => {
    const response = await editor.post('links', '/api/links', { json });
    assert.equal(response.status, 201, response.text);
    return response.json() as { id: number; slug: string; url: string; clicks: number };
  };
  const clicksNow = async (id: number) => (await editor.get('links', `/api/links/${id}`)).json().clicks as number;
  /** Clicks reach the count through the queue: wait for the worker, then check the exact number. */
  const clicks = async (id: number, expected: number) => {
    await until(async () => (await clicksNow(id)) >= expected, 8_000).catch(() => {});
    return clicksNow(id);
  };

  before(async () => {
    server = await startTestServer({}, { worker: true });
    const user = await server.createUser({ roles: [{ app: 'links', role: 'editor' }] });
    editor = server.client();
    await editor.signIn('links', user.email, TEST_PASSWORD);
    visitor = server.client();
  });
  after(() => server.close());

  it('redirects with 302 to the URL and counts every GET as a click', async () => {
    const link = await create({ url: 'https://example.com/target?x=1&y=2', slug: 'go' });
    for (let i = 0; i < 3; i++) {
      const response = await visitor.get('links', '/go');
      assert.equal(response.status, 302);
      assert.equal(response.headers.location, 'https://example.com/target?x=1&y=2');
      assert.equal(response.headers['cache-control'], 'private, no-store');
    }
    assert.equal(await clicks(link.id, 3), 3);
    assert.equal(visitor.cookie('marg_session'), undefined, 'a visit starts no session');
  });

  it('answers HEAD with the same redirect without counting a click', async () => {
    const link = await create({ url: 'https://example.com/head', slug: 'head-only' });
    const head = await visitor.request('HEAD', 'links', '/head-only');
    assert.equal(head.status, 302);
    assert.equal(head.headers.location, 'https://example.com/head');
    await visitor.get('links', '/head-only');
    assert.equal(await clicks(link.id, 1), 1, 'the GET counted; the HEAD did not');
  });

  it('answers an unknown slug with a 404 page, or JSON when asked for JSON', async () => {
    for (const path of ['/no-such-link', '/signin', '/a.b', '/%3Cscript%3E', `/${'x'.repeat(65)}`]) {
      const page = await visitor.get('links', path);
      assert.equal(page.status, 404, path);
      assert.match(String(page.headers['content-type']), /^text\/html/, path);
      assert.match(page.text, /404/);
      assert.doesNotMatch(page.text, /<script>/);
    }
    const json = await visitor.get('links', '/no-such-link', { headers: { accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.equal(json.json().error.code, 'not_found');
    // `/api` is no slug: it is the API's root, answered in JSON like the rest of the API.
    assert.equal((await visitor.get('links', '/api')).json().error.code, 'not_found');
  });

  it('keeps static routes ahead of slugs', async () => {
    const home = await visitor.get('links', '/');
    assert.equal(home.status, 302);
    assert.match(String(home.headers.location), /^http:\/\/accounts\.marg\.localhost:\d+\/signin\?next=/);
    assert.equal((await visitor.get('links', '/api/links')).status, 401);
    assert.equal((await visitor.get('links', '/api/me')).status, 401);
    assert.equal((await visitor.get('links', '/health')).headers['content-type']?.toString().startsWith('application/json'), true);
  });

  it('treats slugs as case-sensitive', async () => {
    await create({ url: 'https://example.com/upper', slug: 'CaseMatters' });
    await create({ url: 'https://example.com/lower', slug: 'casematters' });
    assert.equal((await visitor.get('links', '/CaseMatters')).headers.location, 'https://example.com/upper');
    assert.equal((await visitor.get('links', '/casematters')).headers.location, 'https://example.com/lower');
  });

  it('serves the lookup from the cache', async () => {
    const link = await create({ url: 'https://example.com/cached', slug: 'cached' });
    assert.equal((await visitor.get('links', '/cached')).status, 302);
    assert.deepEqual(await server.services.cache.get('links:slug:cached'), { id: link.id, url: 'https://example.com/cached' });
    // Changed behind the app's back: the cached target still answers, which proves the cache is read.
    const db = server.services.databases.get<{ links: { id: number; url: string } }>('links').db;
    await db.updateTable('links').set({ url: 'https://example.com/sneaky' }).where('id', '=', link.id).execute();
    assert.equal((await visitor.get('links', '/cached')).headers.location, 'https://example.com/cached');
    assert.equal(await clicks(link.id, 2), 2, 'cached redirects still count');
  });

  it('follows a changed URL or slug at once', async () => {
    const link = await create({ url: 'https://example.com/before', slug: 'moving' });
    assert.equal((await visitor.get('links', '/moving')).headers.location, 'https://example.com/before');
    assert.equal((await editor.patch('links', `/api/links/${link.id}`, { json: { url: 'https://example.com/after' } })).status, 200);
    assert.equal((await visitor.get('links', '/moving')).headers.location, 'https://example.com/after');

    assert.equal((await editor.patch('links', `/api/links/${link.id}`, { json: { slug: 'moved' } })).status, 200);
    assert.equal((await visitor.get('links', '/moving')).status, 404);
    const moved = await visitor.get('links', '/moved');
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.location, 'https://example.com/after');
    assert.equal(await clicks(link.id, 3), 3);
  });

  it('answers 404 at once after the link is deleted, and a new link may take the slug', async () => {
    const link = await create({ url: 'https://example.com/doomed', slug: 'doomed' });
    assert.equal((await visitor.get('links', '/doomed')).status, 302);
    assert.equal((await editor.delete('links', `/api/links/${link.id}`)).status, 204);
    assert.equal((await visitor.get('links', '/doomed')).status, 404);
    assert.equal(await server.services.cache.get('links:slug:doomed'), undefined);
    await create({ url: 'https://example.com/reborn', slug: 'doomed' });
    assert.equal((await visitor.get('links', '/doomed')).headers.location, 'https://example.com/reborn');
  });

  it('redirects to percent-encoded URLs safely', async () => {
    await create({ url: 'https://example.com/ünï code?q="quoted"', slug: 'unicode' });
    const response = await visitor.get('links', '/unicode');
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'https://example.com/%C3%BCn%C3%AF%20code?q=%22quoted%22');
  });
});
