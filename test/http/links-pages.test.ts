import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/auth/users.ts';
import type { HostClient, TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

type Role = 'viewer' | 'editor' | 'admin';

/** The hidden `_csrf` value of the page's forms, as a browser would submit it. */
function csrfOf(page: TestResponse): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  assert.ok(token, 'the page carries a CSRF token');
  return token;
}

describe('links pages', () => {
  let server: TestServer;
  const signedIn = async (role: Role): Promise<{ user: User; client: HostClient }> => {
    const user = await server.createUser({ roles: [{ app: 'links', role }] });
    const client = server.client();
    await client.signIn('links', user.email, TEST_PASSWORD);
    return { user, client };
  };
  /** Submits a form the way a browser does: the token in the body, no header. */
  const submit = async (client: HostClient, path: string, form: Record<string, string>) => {
    const token = csrfOf(await client.get('links', '/'));
    return client.post('links', path, { form: { _csrf: token, ...form }, csrf: false });
  };

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('sends a signed-out visitor to sign in', async () => {
    const response = await server.client().get('links', '/');
    assert.equal(response.status, 302);
    assert.match(String(response.headers.location), /^http:\/\/accounts\.marg\.localhost:\d+\/signin\?next=/);
  });

  it('shows an editor a create form; creating redirects back with the new link listed', async () => {
    const { client } = await signedIn('editor');
    const page = await client.get('links', '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Links<\/h1>/);
    assert.match(page.text, /<form method="post" action="\/" class="card" id="create-link">/);
    assert.match(page.text, /<label for="url">/);
    assert.match(page.text, /No links yet\./);

    const created = await submit(client, '/', { url: 'https://example.com/from-form', slug: 'from-form', title: 'From the form' });
    assert.equal(created.status, 303);
    assert.equal(created.headers.location, '/');
    const after = await client.get('links', '/');
    assert.match(after.text, new RegExp(`Created http://links\\.marg\\.localhost:${server.port}/from-form`));
    assert.match(after.text, new RegExp(`<a href="http://links\\.marg\\.localhost:${server.port}/from-form">`));
    assert.match(after.text, /<a href="https:\/\/example\.com\/from-form" rel="noopener noreferrer">/);
    assert.match(after.text, /<td><a href="\/links\/\d+">From the form<\/a><\/td>/);
    assert.match(after.text, />Delete<\/button>/);
    assert.doesNotMatch((await client.get('links', '/')).text, /Created http/, 'the flash shows once');

    const generated = await submit(client, '/', { url: 'https://example.com/generated', slug: '', title: '' });
    assert.equal(generated.status, 303);
    const list = (await client.get('links', '/api/links?owner=me')).json();
    assert.match(list.data[0].slug, /^[A-Za-z0-9]{7}$/);
    assert.equal(list.data[0].title, null);
  });

  it('re-renders the form with the message and what was typed on invalid input', async () => {
    const { client } = await signedIn('editor');
    const bad = await submit(client, '/', { url: 'javascript:alert(1)', slug: 'my-slug', title: 'Kept' });
    assert.equal(bad.status, 422);
    assert.match(String(bad.headers['content-type']), /^text\/html/);
    assert.match(bad.text, /The link is not valid\./);
    assert.match(bad.text, /must be an absolute http:\/\/ or https:\/\/ URL/);
    assert.match(bad.text, /name="url" [^>]*value="javascript:alert\(1\)"/);
    assert.match(bad.text, /name="slug" [^>]*value="my-slug"/);
    assert.match(bad.text, /name="title" [^>]*value="Kept"/);

    const reserved = await submit(client, '/', { url: 'https://example.com/', slug: 'admin' });
    assert.equal(reserved.status, 422);
    assert.match(reserved.text, /is reserved/);

    assert.equal((await submit(client, '/', { url: 'https://example.com/', slug: 'page-dup' })).status, 303);
    const duplicate = await submit(client, '/', { url: 'https://example.com/', slug: 'page-dup' });
    assert.equal(duplicate.status, 409);
    assert.match(duplicate.text, /is already taken/);

    const wrongShape = await submit(client, '/', { slug: 'no-url' });
    assert.equal(wrongShape.status, 400);
  });

  it('escapes titles and URLs', async () => {
    const { client } = await signedIn('editor');
    const created = await client.post('links', '/api/links', {
      json: { url: 'https://example.com/?q="><script>alert(2)</script>', title: '<script>alert(1)</script>' },
    });
    assert.equal(created.status, 201);
    const page = await client.get('links', '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(page.text, /q=&quot;&gt;&lt;script&gt;alert\(2\)/);
    assert.doesNotMatch(page.text, /<script>/);
  });

  it('refuses a form without its CSRF token', async () => {
    const { client } = await signedIn('editor');
    const response = await client.post('links', '/', { form: { url: 'https://example.com/csrf' }, csrf: false });
    assert.equal(response.status, 403);
    assert.match(response.text, /CSRF token/);
    const wrong = await client.post('links', '/', { form: { url: 'https://example.com/csrf', _csrf: 'x'.repeat(43) }, csrf: false });
    assert.equal(wrong.status, 403);
    assert.equal((await client.get('links', '/api/links?owner=me')).json().data.length, 0);
  });

  it('shows a viewer every link without forms, and refuses their posts', async () => {
    const { client: editor } = await signedIn('editor');
    await editor.post('links', '/api/links', { json: { url: 'https://example.com/for-viewers', title: 'Visible to viewers' } });
    const { client: viewer } = await signedIn('viewer');
    const page = await viewer.get('links', '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Links<\/h1>/);
    assert.match(page.text, /Visible to viewers/);
    assert.doesNotMatch(page.text, /id="create-link"/);
    assert.doesNotMatch(page.text, />Delete<\/button>/);
    const refused = await submit(viewer, '/', { url: 'https://example.com/nope' });
    assert.equal(refused.status, 403);
    assert.match(String(refused.headers['content-type']), /^text\/html/);
  });

  it("lists an editor's own links by default, and lets them delete only those", async () => {
    const { user: owner, client: ownerClient } = await signedIn('editor');
    const theirs = (await ownerClient.post('links', '/api/links', { json: { url: 'https://example.com/theirs', title: 'Owner link' } })).json();
    const { client } = await signedIn('editor');
    const mine = (await client.post('links', '/api/links', { json: { url: 'https://example.com/mine', title: 'My link' } })).json();

    const own = await client.get('links', '/');
    assert.match(own.text, /<h2>Your links<\/h2>/);
    assert.match(own.text, /My link/);
    assert.doesNotMatch(own.text, /Owner link/);

    const all = await client.get('links', '/?owner=all');
    assert.match(all.text, /<h2>All links<\/h2>/);
    assert.match(all.text, /Owner link/);
    assert.match(all.text, new RegExp(`<td>${owner.name}</td>`));
    assert.match(all.text, new RegExp(`action="/links/${mine.id}/delete"`));
    assert.doesNotMatch(all.text, new RegExp(`action="/links/${theirs.id}/delete"`));

    const forbidden = await submit(client, `/links/${theirs.id}/delete`, {});
    assert.equal(forbidden.status, 403);
    assert.equal((await client.get('links', `/api/links/${theirs.id}`)).status, 200, 'still there');

    const deleted = await submit(client, `/links/${mine.id}/delete`, {});
    assert.equal(deleted.status, 303);
    assert.equal(deleted.headers.location, '/');
    assert.match((await client.get('links', '/')).text, /Deleted http:\/\/links\.marg\.localhost/);
    assert.equal((await client.get('links', `/api/links/${mine.id}`)).status, 404);

    assert.equal((await submit(client, '/links/999999/delete', {})).status, 404);
    assert.equal((await submit(client, '/links/abc/delete', {})).status, 400);
    assert.equal((await client.get('links', '/?owner=someone')).status, 400);
    assert.equal((await client.get('links', '/?cursor=nonsense')).status, 400);
  });

  it("shows an admin everyone's links with delete buttons, and pages through them", async () => {
    const { client: editor } = await signedIn('editor');
    const ids: number[] = [];
    for (let i = 0; i < 51; i++) ids.push((await editor.post('links', '/api/links', { json: { url: `https://example.com/bulk/${i}` } })).json().id);
    const { client: admin } = await signedIn('admin');
    const page = await admin.get('links', '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h2>All links<\/h2>/);
    assert.match(page.text, /id="create-link"/);
    assert.match(page.text, new RegExp(`action="/links/${ids[50]}/delete"`));
    const next = /<a href="([^"]+)">Older links/.exec(page.text)?.[1];
    assert.ok(next, 'a link to the next page');
    const older = await admin.get('links', next.replaceAll('&amp;', '&'));
    assert.equal(older.status, 200);
    assert.doesNotMatch(older.text, new RegExp(`action="/links/${ids[50]}/delete"`));
    assert.match(older.text, /<tr id="link-\d+">/);

    assert.equal((await submit(admin, `/links/${ids[0]}/delete`, {})).status, 303);
    assert.equal((await editor.get('links', `/api/links/${ids[0]}`)).status, 404);
  });
});
