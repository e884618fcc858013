import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

describe('the web platform (every host)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers the bare domain with a 404 naming the app hosts, as JSON or as a page; refuses any other unknown host (400)', async () => {
    const client = server.client();
    for (const host of ['marg.localhost', `marg.localhost:${server.port}`]) {
      const json = await client.request('GET', 'flow', '/api/tasks', { headers: { accept: 'application/json' } }, host);
      assert.equal(json.status, 404, host);
      assert.equal(json.json().error.code, 'unknown_host');
      assert.match(json.json().error.message, /flow\.marg\.localhost/);
      const page = await client.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, host);
      assert.equal(page.status, 404);
      assert.match(page.text, /Unknown host/);
    }
    for (const host of ['localhost', `127.0.0.1:${server.port}`, `nope.marg.localhost:${server.port}`, `flow.marg.localhost.evil.test:${server.port}`]) {
      const json = await client.request('GET', 'flow', '/api/tasks', { headers: { accept: 'application/json' } }, host);
      assert.equal(json.status, 400, host);
      assert.equal(json.json().error.code, 'invalid_host');
      const page = await client.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, host);
      assert.equal(page.status, 400);
      assert.match(String(page.headers['content-type']), /text\/html/);
    }
  });

  it('serves /health, /health/live and /health/ready on every host, known or not; /health says only the status', async () => {
    const client = server.client();
    for (const host of [`flow.marg.localhost:${server.port}`, `127.0.0.1:${server.port}`, 'anything.example']) {
      const health = await client.request('GET', 'flow', '/health', {}, host);
      assert.equal(health.status, 200, host);
      assert.deepEqual(health.json(), { status: 'healthy' });
      assert.equal((await client.request('GET', 'flow', '/health/live', {}, host)).json().status, 'alive');
      assert.equal((await client.request('GET', 'flow', '/health/ready', {}, host)).json().status, 'ready');
    }
  });

  it('sends security headers and a request id on every response, errors included', async () => {
    const client = server.client();
    for (const [app, path] of [
      ['flow', '/api/me'],
      ['links', '/no-such-slug'],
      ['accounts', '/signin'],
    ] as const) {
      const response = await client.get(app, path);
      assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/, path);
      assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(response.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    }
  });

  it('keeps a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const client = server.client();
    const kept = await client.get('flow', '/health/live', { headers: { 'x-request-id': 'lb-1234.abc' } });
    assert.equal(kept.headers['x-request-id'], 'lb-1234.abc');
    const replaced = await client.get('flow', '/health/live', { headers: { 'x-request-id': 'bad id <script>' } });
    assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('answers unknown API routes with a JSON 404 and unknown pages with an HTML 404', async () => {
    const client = server.client();
    const api = await client.get('flow', '/api/nothing-here');
    assert.equal(api.status, 404);
    assert.equal(api.json().error.code, 'not_found');
    const page = await client.get('accounts', '/nothing-here', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 404);
    assert.match(String(page.headers['content-type']), /text\/html/);
  });

  it('sends a signed-out browser from a page to the accounts sign-in, with the way back', async () => {
    const response = await server.client().get('flow', '/', { headers: { accept: 'text/html' } });
    assert.equal(response.status, 302);
    const location = new URL(String(response.headers.location));
    assert.equal(location.host, `accounts.marg.localhost:${server.port}`);
    assert.equal(location.pathname, '/signin');
    assert.equal(location.searchParams.get('next'), `http://flow.marg.localhost:${server.port}/`);
  });

  it('refuses bodies it cannot read with a 4xx: unsupported type, bad JSON, empty JSON, too large', async () => {
    const client = server.client();
    const cases: [Record<string, string>, string | Buffer, number, string][] = [
      [{ 'content-type': 'text/plain' }, 'hello', 400, 'validation_failed'],
      [{ 'content-type': 'application/xml' }, '<a/>', 415, 'unsupported_media_type'],
      [{ 'content-type': 'application/json' }, '{"email":', 400, 'invalid_json'],
      [{ 'content-type': 'application/json' }, '', 400, 'invalid_json'],
      [{ 'content-type': 'application/json' }, Buffer.alloc(1_100_000, 'a'), 413, 'payload_too_large'],
    ];
    for (const [headers, body, status, code] of cases) {
      const response = await client.post('accounts', '/api/session', { headers, body });
      assert.equal(response.status, status, `${headers['content-type']} → ${response.text}`);
      assert.equal(response.json().error.code, code);
    }
  });

  it('refuses a NUL character anywhere in the input with a 400 (PostgreSQL cannot store it)', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    const body = await client.post('flow', '/api/tasks', { json: { title: 'a\u0000b' } });
    assert.equal(body.status, 400);
    assert.deepEqual(body.json().error.fields, { 'body.title': 'contains a NUL character' });
    assert.equal((await client.get('flow', '/api/tasks?status=todo%00')).status, 400);
    assert.equal((await client.post('accounts', '/signin', { form: { email: 'x\u0000@y.z', password: 'p' } })).status, 400);
  });

  it('treats a garbage or forged session cookie as no session, and clears it', async () => {
    const user = await server.createUser();
    for (const value of ['garbage', 'x'.repeat(43), '%%%', 'a'.repeat(5000)]) {
      const client = server.client();
      client.jar.setCookieSync(`marg_session=${value}; Domain=.marg.localhost; Path=/`, client.url('flow', '/'));
      const me = await client.get('flow', '/api/me');
      assert.equal(me.status, 401, value.slice(0, 20));
      assert.match(String(me.headers['set-cookie']), /marg_session=;/, 'the stale cookie is cleared');
      // Signing in still works from there (a dead cookie carries no authority, so no CSRF token is needed).
      assert.equal((await client.post('flow', '/api/session', { json: { email: user.email, password: TEST_PASSWORD } })).status, 200);
    }
  });

  it('serves the stylesheet on every app host', async () => {
    for (const app of ['accounts', 'flow', 'links']) {
      const css = await server.client().get(app, '/assets/marg.css');
      assert.equal(css.status, 200);
      assert.match(String(css.headers['content-type']), /text\/css/);
    }
  });
});
