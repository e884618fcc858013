import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LinksDatabase } from '../../apps/links/links-store.ts';
import type { TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

function csrfOf(page: TestResponse): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  assert.ok(token, 'the page carries a CSRF token');
  return token;
}

describe('a link page (chart, QR, edit) and the OpenAPI documents', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('shows the short URL with a QR code, clicks per day for 30 or 90 days, and edits the link', async () => {
    const editor = await server.createUser({ roles: [{ app: 'links', role: 'editor' }], name: 'Eli Editor' });
    const viewer = await server.createUser({ roles: [{ app: 'links', role: 'viewer' }] });
    const client = server.client();
    await client.signIn('links', editor.email, TEST_PASSWORD);
    const created = await client.post('links', '/api/links', { json: { url: 'https://example.com/spring', slug: 'spring-sale', title: 'Spring <sale>' } });
    assert.equal(created.status, 201, created.text);
    const link = created.json();
    const other = await client.post('links', '/api/links', { json: { url: 'https://example.com/other', slug: 'taken-one' } });
    assert.equal(other.status, 201);
    // Counted clicks as the rollup leaves them: three days ago and 60 days ago.
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
    await server.services.databases
      .get<LinksDatabase>('links')
      .db.insertInto('link_clicks_daily')
      .values([
        { link_id: link.id, day: day(3), clicks: 7 },
        { link_id: link.id, day: day(60), clicks: 5 },
      ])
      .execute();

    const page = await client.get('links', `/links/${link.id}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('<h1>Spring &lt;sale&gt;</h1>'));
    assert.ok(page.text.includes(`<code id="short-url">${link.shortUrl}</code>`));
    assert.ok(page.text.includes(`data-copy="${link.shortUrl}"`));
    assert.match(page.text, /<svg role="img" aria-label="QR code" xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
    for (const asset of ['/assets/uplot.min.js', '/assets/chart.js', '/assets/uplot.min.css']) assert.ok(page.text.includes(asset), asset);
    const labels = JSON.parse(/data-labels="([^"]+)"/.exec(page.text)![1]!.replaceAll('&quot;', '"'));
    const values = JSON.parse(/data-values="([^"]+)"/.exec(page.text)![1]!.replaceAll('&quot;', '"'));
    assert.equal(labels.length, 30);
    assert.equal(labels[29], day(0));
    assert.equal(values[labels.indexOf(day(3))], 7);
    assert.equal(values.reduce((a: number, b: number) => a + b, 0), 7, 'the 60-day-old clicks are outside 30 days');
    assert.ok(page.text.includes('7 clicks in the last 30 days'));
    const ninety = await client.get('links', `/links/${link.id}?days=90`);
    assert.ok(ninety.text.includes('12 clicks in the last 90 days'));
    assert.equal((await client.get('links', `/links/${link.id}?days=7`)).status, 400);
    assert.equal((await client.get('links', '/links/99999999')).status, 404);

    for (const [asset, type] of [['/assets/uplot.min.js', 'text/javascript'], ['/assets/uplot.min.css', 'text/css'], ['/assets/chart.js', 'text/javascript']] as const) {
      const response = await client.get('links', asset);
      assert.equal(response.status, 200, asset);
      assert.ok(String(response.headers['content-type']).startsWith(type), asset);
    }

    const token = csrfOf(page);
    const saved = await client.post('links', `/links/${link.id}`, { form: { _csrf: token, url: 'https://example.com/summer', slug: 'summer-sale', title: '' }, csrf: false });
    assert.equal(saved.status, 303, saved.text);
    const after_ = (await client.get('links', `/api/links/${link.id}`)).json();
    assert.deepEqual({ url: after_.url, slug: after_.slug, title: after_.title }, { url: 'https://example.com/summer', slug: 'summer-sale', title: null });
    const redirect = await server.client().get('links', '/summer-sale');
    assert.equal(redirect.headers.location, 'https://example.com/summer');

    const taken = await client.post('links', `/links/${link.id}`, { form: { _csrf: token, url: 'https://example.com/x', slug: 'taken-one' }, csrf: false });
    assert.equal(taken.status, 409);
    assert.ok(taken.text.includes('That short link is already taken.') && taken.text.includes('value="taken-one"'));
    const reserved = await client.post('links', `/links/${link.id}`, { form: { _csrf: token, url: 'ftp://x', slug: 'links' }, csrf: false });
    assert.equal(reserved.status, 422);
    assert.ok(reserved.text.includes('is reserved') && reserved.text.includes('must be an absolute http:// or https:// URL'));

    const reader = server.client();
    await reader.signIn('links', viewer.email, TEST_PASSWORD);
    const read = await reader.get('links', `/links/${link.id}`);
    assert.equal(read.status, 200);
    assert.ok(!read.text.includes('id="edit-link"') && !read.text.includes('/delete"'));
    assert.equal((await reader.post('links', `/links/${link.id}`, { form: { _csrf: csrfOf(read), url: 'https://x.example', slug: 'x' }, csrf: false })).status, 403);
    assert.ok((await client.get('links', '/')).text.includes(`href="/links/${link.id}"`), 'the list links to the page');
  });

  it('serves each app its own OpenAPI document at /api/docs, built from the route schemas', async () => {
    const client = server.client();
    for (const [app, path] of [['flow', '/api/tasks/{id}'], ['links', '/api/links/{id}'], ['accounts', '/api/users']] as const) {
      const response = await client.get(app, '/api/docs');
      assert.equal(response.status, 200, `${app}: ${response.text.slice(0, 200)}`);
      const doc = response.json();
      assert.equal(doc.openapi, '3.0.3');
      assert.ok(doc.paths[path], `${app} documents ${path}: ${Object.keys(doc.paths).join(', ')}`);
      for (const key of Object.keys(doc.paths)) assert.ok(key.startsWith('/api/') && key !== '/api/docs', `${app}: ${key}`);
    }
    const flow = (await client.get('flow', '/api/docs')).json();
    const create = flow.paths['/api/tasks'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(create.required, ['title']);
    assert.equal(create.properties.title.maxLength, 200);
    assert.ok(flow.paths['/api/tasks'].get.parameters.some((p: { name: string; in: string }) => p.name === 'status' && p.in === 'query'));
    assert.ok(!Object.keys(flow.paths).some((p) => p.startsWith('/api/links')), 'no other app\'s routes');
    const limit = flow.paths['/api/tasks'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    assert.equal(limit.required, false, 'a parameter with a default may be left out');

    const page = await client.get('flow', '/api/docs', { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(page.status, 200);
    assert.ok(String(page.headers['content-type']).startsWith('text/html'));
    assert.ok(page.text.includes('<h2><code>POST /api/tasks</code></h2>'));
    assert.ok(page.text.includes('<tr><td><code>title</code></td><td>string, at most 200 characters</td><td>yes</td></tr>'), 'the body fields as a table');
    assert.ok(page.text.includes('<td>one of &quot;todo&quot;, &quot;doing&quot;, &quot;done&quot;</td>'));
  });
});
