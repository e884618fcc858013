import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const APPS = ['accounts', 'flow', 'links'];

describe('single sign-on across the app hosts', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers 401 on /api/me everywhere before sign-in', async () => {
    const client = server.client();
    for (const app of APPS) {
      const response = await client.get(app, '/api/me');
      assert.equal(response.status, 401, app);
      assert.equal(response.json().error.code, 'unauthenticated');
    }
  });

  it('signs in once on one host and is signed in on all three; sign-out on one signs out everywhere', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const client = server.client();
    const signIn = await client.signIn('links', user.email, TEST_PASSWORD);
    assert.equal(signIn.json().email, user.email);
    const cookie = String(signIn.headers['set-cookie']);
    assert.match(cookie, /marg_session=[A-Za-z0-9_-]{43}; Max-Age=7200; Domain=\.marg\.localhost; Path=\/; HttpOnly; SameSite=Lax/);

    for (const app of APPS) {
      const me = await client.get(app, '/api/me');
      assert.equal(me.status, 200, app);
      assert.deepEqual(me.json().permissions, ['flow.tasks.read']);
      assert.equal(me.json().id, user.id);
    }

    const signOut = await client.delete('flow', '/api/session');
    assert.equal(signOut.status, 204);
    for (const app of APPS) assert.equal((await client.get(app, '/api/me')).status, 401, app);
  });

  it('destroys the session on the server, so a copied cookie stops working too', async () => {
    const user = await server.createUser();
    const client = server.client();
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    const stolen = server.client();
    for (const c of client.jar.getCookiesSync(client.url('accounts', '/'))) stolen.jar.setCookieSync(c, client.url('accounts', '/'));
    assert.equal((await stolen.get('flow', '/api/me')).status, 200);
    await client.delete('accounts', '/api/session');
    assert.equal((await stolen.get('flow', '/api/me')).status, 401);
  });

  it('gives a new session id at sign-in (no fixation)', async () => {
    const user = await server.createUser();
    const client = server.client();
    await client.get('accounts', '/signin');
    const before = client.cookie('marg_session');
    assert.ok(before, 'the sign-in page starts a session for its CSRF token');
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    const after = client.cookie('marg_session');
    assert.ok(after);
    assert.notEqual(after, before);
    const replay = server.client();
    replay.jar.setCookieSync(`marg_session=${before}; Domain=.marg.localhost; Path=/`, replay.url('accounts', '/'));
    assert.equal((await replay.get('flow', '/api/me')).status, 401);
  });

  it('refuses a state change without the CSRF token, and accepts it with one', async () => {
    const user = await server.createUser();
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    const refused = await client.delete('flow', '/api/session', { csrf: false });
    assert.equal(refused.status, 403);
    assert.equal(refused.json().error.code, 'csrf_token_mismatch');
    assert.equal((await client.get('links', '/api/me')).status, 200, 'still signed in');
    const wrong = await client.delete('flow', '/api/session', { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(43) } });
    assert.equal(wrong.status, 403);
    assert.equal((await client.delete('flow', '/api/session')).status, 204);
  });
});
