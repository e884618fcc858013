import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseRoleRef, type RoleRef } from '../../src/auth/permissions.ts';
import { HostClient, type TestResponse } from '../support/client.ts';
import { startTestServer, TEST_DOMAIN, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const role = (text: string): RoleRef => {
  const ref = parseRoleRef(text);
  assert.ok(ref, `not a role: ${text}`);
  return ref;
};

const XSS = '<img src=x onerror=alert(1)>';
const ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';

describe('accounts pages', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof signedIn>>;
  const browser = () => new HostClient(server.port, TEST_DOMAIN);

  async function signedIn(roles: string[], name?: string) {
    const user = await server.createUser({ roles: roles.map(role), ...(name ? { name } : {}) });
    const client = browser();
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    return { ...user, client };
  }

  /** Submits a form the way a browser without scripts does: the hidden _csrf field, no header. */
  async function submit(client: HostClient, pagePath: string, action: string, fields: Record<string, string>) {
    const page = await client.get('accounts', pagePath);
    assert.equal(page.status, 200, page.text);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    assert.ok(csrf, `${pagePath} has a CSRF field`);
    assert.ok(page.text.includes(`action="${action}"`), `${pagePath} has a form posting to ${action}`);
    return client.post('accounts', action, { form: { _csrf: csrf, ...fields }, csrf: false });
  }

  async function follow(client: HostClient, response: TestResponse) {
    assert.equal(response.status, 303, response.text);
    return client.get('accounts', String(response.headers.location));
  }

  before(async () => {
    server = await startTestServer();
    admin = await signedIn(['accounts:admin', 'flow:admin', 'links:admin'], 'Ada Admin');
  });
  after(() => server.close());

  it('sends signed-out visitors to the sign-in form', async () => {
    const client = browser();
    for (const path of ['/', '/users', '/users/1', '/audit']) {
      const response = await client.get('accounts', path);
      assert.equal(response.status, 302, path);
      assert.equal(response.headers.location, client.url('accounts', `/signin?next=${encodeURIComponent(client.url('accounts', path))}`));
    }
  });

  it('shows "Your account" with roles per app, links to the apps, and admin links only when permitted', async () => {
    const user = await signedIn(['flow:editor', 'links:viewer'], 'Eve Example');
    const page = await user.client.get('accounts', '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Your account<\/h1>/);
    assert.ok(page.text.includes('Eve Example'));
    assert.ok(page.text.includes(user.email));
    assert.match(page.text, /<td>Flow<\/td>\s*<td><span class="badge" title="[^"]+">editor<\/span>/);
    assert.match(page.text, /<td>Links<\/td>\s*<td><span class="badge" title="[^"]+">viewer<\/span>/);
    assert.match(page.text, /<td>Accounts<\/td>\s*<td><span class="muted">no access<\/span>/);
    for (const app of ['accounts', 'flow', 'links']) assert.ok(page.text.includes(`href="${user.client.url(app, '/')}"`), app);
    assert.ok(!page.text.includes('href="/users"'));
    assert.ok(!page.text.includes('href="/audit"'));

    const adminHome = await admin.client.get('accounts', '/');
    assert.ok(adminHome.text.includes('href="/users"'));
    assert.ok(adminHome.text.includes('href="/audit"'));
  });

  it('escapes user-supplied text on every page', async () => {
    const evil = await signedIn(['accounts:viewer'], XSS);
    for (const [client, path] of [
      [evil.client, '/'],
      [evil.client, '/users'],
      [admin.client, '/users'],
      [admin.client, `/users/${evil.id}`],
    ] as const) {
      const page = await client.get('accounts', path);
      assert.equal(page.status, 200, path);
      assert.ok(!page.text.includes(XSS), `${path} renders the name raw`);
      assert.ok(page.text.includes(ESCAPED), `${path} shows the name escaped`);
    }
    const created = await submit(admin.client, '/users', '/users', { email: 'xss@example.test', name: XSS, password: 'long enough pw' });
    const shown = await follow(admin.client, created);
    assert.ok(!shown.text.includes(XSS));
    assert.ok(shown.text.includes(ESCAPED));
    const bad = await submit(admin.client, '/users', '/users', { email: `${XSS}@x`, name: XSS, password: 'x' });
    assert.equal(bad.status, 422);
    assert.ok(!bad.text.includes(XSS), 'a re-rendered form escapes what was typed');
  });

  it('lists users with roles and a "Next page" link', async () => {
    const a = await server.createUser({ roles: [role('links:editor')], name: 'Page Two Person' });
    const b = await server.createUser({ name: 'Page One Person' });
    const first = await admin.client.get('accounts', '/users?limit=1');
    assert.equal(first.status, 200);
    assert.ok(first.text.includes(`<a href="/users/${b.id}">Page One Person</a>`));
    assert.ok(!first.text.includes('Page Two Person'));
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.text)?.[1];
    assert.ok(next, 'has a next page link');
    const second = await admin.client.get('accounts', next.replaceAll('&amp;', '&'));
    assert.equal(second.status, 200);
    assert.ok(second.text.includes(`<a href="/users/${a.id}">Page Two Person</a>`));
    assert.ok(second.text.includes('<span class="badge">links:editor</span>'));
    assert.equal((await admin.client.get('accounts', '/users?cursor=garbage')).status, 400);
    assert.equal((await admin.client.get('accounts', '/users?limit=500')).status, 400);
  });

  it('creates users through the form (admins only), re-rendering bad input with 422 and a taken email with 409', async () => {
    const response = await submit(admin.client, '/users', '/users', {
      email: 'formuser@example.test',
      name: 'Form User',
      password: 'long enough pw',
      roles: 'flow:editor',
    });
    assert.equal(response.status, 303);
    assert.match(String(response.headers.location), /^\/users\/\d+$/);
    const page = await follow(admin.client, response);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('Created Form User (formuser@example.test).'));
    assert.match(page.text, /<td>Flow<\/td><td><span class="badge">editor<\/span>/);

    const problems = await submit(admin.client, '/users', '/users', { email: 'nope', name: 'Kept Name', password: 'short' });
    assert.equal(problems.status, 422);
    assert.ok(problems.text.includes('value="Kept Name"'), 'keeps what was typed');
    assert.match(problems.text, /<strong>email<\/strong> must be an email address/);
    assert.match(problems.text, /<strong>password<\/strong> must be/);
    const missing = await admin.client.post('accounts', '/users', { form: {} });
    assert.equal(missing.status, 422);
    const taken = await submit(admin.client, '/users', '/users', { email: 'FormUser@example.test', name: 'Again', password: 'long enough pw' });
    assert.equal(taken.status, 409);
    assert.match(taken.text, /<strong>email<\/strong> is already taken/);
    const unknownRole = await submit(admin.client, '/users', '/users', { email: 'r@example.test', name: 'R', password: 'long enough pw', roles: 'flow:owner' });
    assert.equal(unknownRole.status, 422);

    const noToken = await admin.client.post('accounts', '/users', { form: { email: 'c@example.test', name: 'C', password: 'long enough pw' }, csrf: false });
    assert.equal(noToken.status, 403);

    const viewer = await signedIn(['accounts:viewer']);
    const list = await viewer.client.get('accounts', '/users');
    assert.equal(list.status, 200);
    assert.ok(!list.text.includes('id="create-user"'), 'no create form without accounts.users.create');
    assert.equal((await viewer.client.post('accounts', '/users', { form: { email: 'v@example.test', name: 'V', password: 'long enough pw' } })).status, 403);
    const outsider = await signedIn(['flow:admin']);
    assert.equal((await outsider.client.get('accounts', '/users')).status, 403);
  });

  it("grants and revokes roles on a user's page, with the change in force at once", async () => {
    const target = await signedIn([], 'Target Person');
    assert.equal((await target.client.get('flow', '/')).status, 403);
    const path = `/users/${target.id}`;
    const page = await admin.client.get('accounts', path);
    assert.ok(page.text.includes('id="grant-role"'));
    assert.ok(page.text.includes('<option value="flow:viewer">'));

    const granted = await follow(admin.client, await submit(admin.client, path, `${path}/roles`, { role: 'flow:viewer' }));
    assert.ok(granted.text.includes('Granted flow:viewer to Target Person.'));
    assert.ok(granted.text.includes('<button type="submit" class="danger">Revoke flow:viewer</button>'));
    assert.equal((await target.client.get('flow', '/')).status, 200);

    const revoked = await follow(admin.client, await submit(admin.client, path, `${path}/roles/revoke`, { role: 'flow:viewer' }));
    assert.ok(revoked.text.includes('Revoked flow:viewer from Target Person.'));
    assert.equal((await target.client.get('flow', '/')).status, 403);

    const unknown = await submit(admin.client, path, `${path}/roles`, { role: 'flow:owner' });
    assert.equal(unknown.status, 422);
    assert.match(unknown.text, /<strong>role<\/strong> is not a role/);
    assert.equal((await admin.client.get('accounts', '/users/999999')).status, 404);
    assert.equal((await admin.client.get('accounts', '/users/abc')).status, 400);
    assert.equal((await admin.client.post('accounts', '/users/999999/roles', { form: { role: 'flow:viewer' } })).status, 404);

    const viewer = await signedIn(['accounts:viewer']);
    const readOnly = await viewer.client.get('accounts', path);
    assert.equal(readOnly.status, 200);
    assert.ok(!readOnly.text.includes('<form method="post" action="/users/'), 'no grant or revoke forms');
    assert.equal((await viewer.client.post('accounts', `${path}/roles`, { form: { role: 'flow:viewer' } })).status, 403);
  });

  it('shows the audit log newest first, filtered by event, for accounts.audit.read only', async () => {
    const page = await admin.client.get('accounts', '/audit');
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('<code>rbac.granted</code>'));
    assert.ok(page.text.includes('<code>auth.signin</code>'));
    assert.ok(page.text.includes('href="/"') && page.text.includes('href="/users"'), 'navigation');
    const filtered = await admin.client.get('accounts', '/audit?event=rbac.granted');
    assert.equal(filtered.status, 200);
    assert.ok(filtered.text.includes('<option value="rbac.granted" selected>'));
    assert.ok(!filtered.text.includes('<code>auth.signin</code>'));
    assert.ok(filtered.text.includes('{&quot;role&quot;:&quot;flow:viewer&quot;}'));
    const firstPage = await admin.client.get('accounts', '/audit?limit=1&event=rbac.granted');
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(firstPage.text)?.[1];
    assert.ok(next);
    assert.ok(next.includes('event=rbac.granted'), 'the filter carries over');
    assert.equal((await admin.client.get('accounts', next.replaceAll('&amp;', '&'))).status, 200);
    assert.equal((await admin.client.get('accounts', '/audit?cursor=%%%')).status, 400);

    const viewer = await signedIn(['accounts:viewer']);
    assert.equal((await viewer.client.get('accounts', '/audit')).status, 403);
    const editor = await signedIn(['accounts:editor']);
    assert.equal((await editor.client.get('accounts', '/audit')).status, 200);
  });
});

describe('accounts pages: the last accounts:admin', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('re-renders with 409 instead of revoking the last accounts:admin', async () => {
    const only = await server.createUser({ roles: [role('accounts:admin')], name: 'Only Admin' });
    const client = new HostClient(server.port, TEST_DOMAIN);
    await client.signIn('accounts', only.email, TEST_PASSWORD);
    const page = await client.get('accounts', `/users/${only.id}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const response = await client.post('accounts', `/users/${only.id}/roles/revoke`, { form: { _csrf: csrf, role: 'accounts:admin' }, csrf: false });
    assert.equal(response.status, 409);
    assert.match(response.text, /last user holding accounts:admin/);
    assert.ok(response.text.includes('Revoke accounts:admin'), 'still holds it');
  });
});
