import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostClient, type TestResponse } from '../support/client.ts';
import { startTestServer, TEST_DOMAIN, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

function csrfFrom(page: TestResponse): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  assert.ok(token, 'the page carries a CSRF field');
  return token;
}

describe('the sign-in form (accounts host)', () => {
  let server: TestServer;
  const browser = () => new HostClient(server.port, TEST_DOMAIN);

  /** Loads the form (as a browser without scripts would) and posts it with its hidden token. */
  async function submit(client: HostClient, fields: { email: string; password: string; next?: string }) {
    const form = await client.get('accounts', `/signin${fields.next ? `?next=${encodeURIComponent(fields.next)}` : ''}`);
    assert.equal(form.status, 200);
    const body: Record<string, string> = { _csrf: csrfFrom(form), email: fields.email, password: fields.password };
    const next = /name="next" value="([^"]+)"/.exec(form.text)?.[1];
    if (next) body.next = next.replaceAll('&amp;', '&');
    return client.post('accounts', '/signin', { form: body, csrf: false });
  }

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('signs in and returns to `next` on an app host, signed in there too', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const client = browser();
    const next = client.url('flow', '/tasks?status=open');
    const response = await submit(client, { email: user.email, password: TEST_PASSWORD, next });
    assert.equal(response.status, 303);
    assert.equal(response.headers.location, next);
    const me = await client.get('flow', '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.json().id, user.id);
    const again = await client.get('accounts', `/signin?next=${encodeURIComponent(next)}`);
    assert.equal(again.status, 303, 'already signed in: straight on');
    assert.equal(again.headers.location, next);
  });

  it('goes to / instead of a `next` on another site', async () => {
    const user = await server.createUser();
    for (const next of ['https://evil.example/', '//evil.example/', 'javascript:alert(1)', '/\t/evil.example', `http://flow.${TEST_DOMAIN}.evil.example/`]) {
      const client = browser();
      const response = await client.post('accounts', '/signin', { form: { email: user.email, password: TEST_PASSWORD, next } });
      assert.equal(response.status, 303, next);
      assert.equal(response.headers.location, '/', next);
      assert.equal((await client.get('accounts', '/')).status, 200);
    }
  });

  it('answers a wrong password with 401 and the form with a message', async () => {
    const user = await server.createUser();
    const client = browser();
    const response = await submit(client, { email: user.email, password: 'not the password' });
    assert.equal(response.status, 401);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.text, /role="alert">Email or password is wrong\.</);
    assert.match(response.text, new RegExp(`value="${user.email.replace(/[.+]/g, '\\$&')}"`), 'keeps the email');
    assert.equal((await client.get('accounts', '/api/me')).status, 401);
    const empty = await submit(client, { email: '', password: '' });
    assert.equal(empty.status, 422);
  });

  it('locks an email out after SIGNIN_MAX_ATTEMPTS failures, even for the right password, on the form and the API', async () => {
    const viaForm = await server.createUser();
    const viaApi = await server.createUser();
    const client = browser();
    for (let i = 0; i < 5; i++) {
      const failed = i % 2 === 0
        ? await submit(client, { email: viaForm.email, password: `wrong ${i}` })
        : await client.post('accounts', '/api/session', { json: { email: viaForm.email, password: `wrong ${i}` } });
      assert.equal(failed.status, 401, `attempt ${i + 1}`);
    }
    const form = await submit(client, { email: viaForm.email.toUpperCase(), password: TEST_PASSWORD });
    assert.equal(form.status, 429);
    assert.match(String(form.headers['retry-after']), /^[1-9]\d*$/);
    assert.match(form.text, /Too many failed attempts/);
    const api = await client.post('flow', '/api/session', { json: { email: viaForm.email, password: TEST_PASSWORD } });
    assert.equal(api.status, 429);
    assert.equal(api.json().error.code, 'too_many_requests');
    assert.match(String(api.headers['retry-after']), /^[1-9]\d*$/);
    assert.equal((await client.get('flow', '/api/me')).status, 401);

    for (let i = 0; i < 5; i++) {
      assert.equal((await client.post('links', '/api/session', { json: { email: viaApi.email, password: `wrong ${i}` } })).status, 401);
    }
    const apiLocked = await client.post('links', '/api/session', { json: { email: viaApi.email, password: TEST_PASSWORD } });
    assert.equal(apiLocked.status, 429);
    assert.ok(Number(apiLocked.headers['retry-after']) > 0);
    const formLocked = await submit(client, { email: viaApi.email, password: TEST_PASSWORD });
    assert.equal(formLocked.status, 429);
    assert.ok(Number(formLocked.headers['retry-after']) > 0);

    const other = await server.createUser();
    assert.equal((await submit(client, { email: other.email, password: TEST_PASSWORD })).status, 303, 'other emails are not locked');
    const lockouts = await server.services.audit.list(100, { event: 'auth.lockout' });
    assert.ok(lockouts.some((e) => e.subject === viaForm.email));
  });

  it('refuses a form post without the CSRF token once a session exists', async () => {
    const user = await server.createUser();
    const client = browser();
    await client.get('accounts', '/signin');
    const response = await client.post('accounts', '/signin', { form: { email: user.email, password: TEST_PASSWORD }, csrf: false });
    assert.equal(response.status, 403);
  });
});
