import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/env-files.ts';
import { parseTrustedProxies } from '../../src/config/trusted-proxies.ts';
import type { TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const CLIENT_IP = '203.0.113.50';
const BEHIND_TLS = { 'x-forwarded-proto': 'https', 'x-forwarded-for': CLIENT_IP };

function setCookies(response: TestResponse): string[] {
  const header = response.headers['set-cookie'];
  return Array.isArray(header) ? header : header ? [header] : [];
}

/** Signs in with the given headers (without the cookie jar, which would refuse a Secure cookie over http). */
async function signInVia(server: TestServer, headers: Record<string, string>): Promise<TestResponse> {
  const user = await server.createUser();
  const client = server.client();
  // A failed attempt first: the audit log records the address the server believed.
  await client.post('flow', '/api/session', { json: { email: user.email, password: 'wrong password' }, headers });
  const response = await client.request('POST', 'flow', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers, csrf: false });
  assert.equal(response.status, 200, response.text);
  return response;
}

async function lastFailedSignInIp(server: TestServer): Promise<string | null | undefined> {
  const [entry] = await server.services.audit.list(1, { event: 'auth.signin_failed' });
  return entry?.ip;
}

describe('TRUSTED_PROXIES: a trusted proxy speaks for the client', () => {
  let server: TestServer;
  before(async () => {
    // The tests connect from 127.0.0.1: here that is the load balancer.
    server = await startTestServer({ TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1', API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' });
  });
  after(() => server.close());

  it('takes the client IP from X-Forwarded-For and "behind TLS" from X-Forwarded-Proto: Secure cookies and HSTS', async () => {
    const response = await signInVia(server, BEHIND_TLS);
    assert.equal(await lastFailedSignInIp(server), CLIENT_IP);
    const cookies = setCookies(response);
    assert.equal(cookies.length, 2, String(cookies));
    for (const cookie of cookies) {
      assert.match(cookie, /; Secure/i, cookie);
      assert.match(cookie, /; SameSite=Lax/i, cookie);
    }
    assert.match(cookies.find((c) => c.startsWith('marg_session='))!, /; HttpOnly/i);
    assert.doesNotMatch(cookies.find((c) => c.startsWith('XSRF-TOKEN='))!, /; HttpOnly/i, 'scripts must read the CSRF cookie');
    assert.equal(response.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  it('keeps plain HTTP when the proxy says http, and ignores addresses a client added in front', async () => {
    const response = await signInVia(server, { 'x-forwarded-proto': 'http', 'x-forwarded-for': `6.6.6.6, ${CLIENT_IP}` });
    assert.equal(await lastFailedSignInIp(server), CLIENT_IP, 'the address the trusted proxy saw, not what the client claimed');
    for (const cookie of setCookies(response)) assert.doesNotMatch(cookie, /; Secure/i);
    assert.equal(response.headers['strict-transport-security'], undefined);
  });
});

describe('TRUSTED_PROXIES: an untrusted peer cannot claim TLS or another address', () => {
  for (const [label, env] of [
    ['unset', {}],
    ['another proxy', { TRUSTED_PROXIES: '10.1.2.3' }],
  ] as const) {
    describe(label, () => {
      let server: TestServer;
      before(async () => {
        server = await startTestServer({ ...env, API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' });
      });
      after(() => server.close());

      it('uses the socket: its address and plain HTTP (no Secure cookie, no HSTS)', async () => {
        const response = await signInVia(server, BEHIND_TLS);
        assert.equal(await lastFailedSignInIp(server), '127.0.0.1');
        for (const cookie of setCookies(response)) assert.doesNotMatch(cookie, /; Secure/i, cookie);
        assert.equal(response.headers['strict-transport-security'], undefined);
      });
    });
  }
});

describe('TRUSTED_PROXIES parsing', () => {
  it('accepts addresses, CIDR ranges, named ranges and `*`', () => {
    assert.equal(parseTrustedProxies(undefined), false);
    assert.equal(parseTrustedProxies(' '), false);
    assert.equal(parseTrustedProxies('*'), true);
    assert.deepEqual(parseTrustedProxies('10.0.0.1, 172.16.0.0/12,fd00::/8 ,::1,loopback,uniquelocal'), ['10.0.0.1', '172.16.0.0/12', 'fd00::/8', '::1', 'loopback', 'uniquelocal']);
  });

  it('stops startup on anything else, naming the variable and the bad entries', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/8', '::1/129', '*,10.0.0.1', '1.2.3']) {
      assert.throws(() => buildConfig('/tmp', { TRUSTED_PROXIES: bad }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /TRUSTED_PROXIES/);
        return true;
      }, bad);
    }
  });
});

describe('body size limit (HTTP_BODY_LIMIT)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ HTTP_BODY_LIMIT: '2048', API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' });
  });
  after(() => server.close());

  it('answers a larger body with 413: JSON for the API, a page for a browser form', async () => {
    const client = server.client();
    const json = await client.post('flow', '/api/session', { json: { email: 'a@b.c', password: 'x'.repeat(3000) } });
    assert.equal(json.status, 413, json.text);
    assert.equal(json.json().error.code, 'payload_too_large');
    const ok = await client.post('flow', '/api/session', { json: { email: 'a@b.c', password: 'x'.repeat(200) } });
    assert.equal(ok.status, 401, 'a body under the limit is read');
    const form = await client.post('accounts', '/signin', { form: { email: 'a@b.c', password: 'x'.repeat(3000) }, headers: { accept: 'text/html' } });
    assert.equal(form.status, 413);
    assert.match(String(form.headers['content-type']), /^text\/html/);
    assert.match(form.text, /Request too large/);
  });
});

describe('an unexpected failure (500) outside development', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ NODE_ENV: 'production', API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' });
  });
  after(() => server.close());

  it('answers with a generic message: no stack, no SQL, no table names', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'admin' }] });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    assert.equal((await client.get('flow', '/api/tasks')).status, 200);
    // Pull the table from under the running server: the next query fails inside the route.
    await server.services.databases.get('flow').db.schema.alterTable('tasks').renameTo('tasks_gone').execute();
    try {
      const api = await client.get('flow', '/api/tasks', { allowServerError: true });
      assert.equal(api.status, 500);
      assert.deepEqual(api.json(), { error: { code: 'internal_error', message: 'Something went wrong on our side. It has been logged.' } });
      const page = await client.get('flow', '/', { headers: { accept: 'text/html' }, allowServerError: true });
      assert.equal(page.status, 500);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      for (const response of [api, page]) {
        assert.doesNotMatch(response.text, /\bat .*\.(ts|js):\d+|tasks|SELECT|no such table|sqlite|Error:/i, response.text);
        assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'the request id to quote in a report');
      }
    } finally {
      await server.services.databases.get('flow').db.schema.alterTable('tasks_gone').renameTo('tasks').execute();
    }
  });
});
