import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { normalisePath } from '../../src/http/route-path.ts';
import { TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { awayFromWindowEnd, from, startLimitedServer } from './rate-limit-window.ts';

const API_LIMIT = 3;
const SIGNIN_LIMIT = 2;
let ipCounter = 0;
const newClientIp = () => `192.0.2.${++ipCounter}`;

/** Spellings of `/api/me` a client may send: the router decodes percent-encoding, so some reach the route. */
const ME_VARIANTS = ['/%61pi/me', '/api/m%65', '/%61%70%69/%6D%65', '/api/me?x=1', '/%2561pi/me', '/API/me', '/Api/Me', '/api/me/', '/api//me', '/api/me%2F'];

describe('security decisions see the route the router matched, not the raw URL', () => {
  let server: TestServer;
  before(async () => {
    server = await startLimitedServer(API_LIMIT, SIGNIN_LIMIT);
  });
  after(() => server.close());

  it('counts every spelling of an API path that reaches a route against the API limit', async () => {
    await awayFromWindowEnd();
    const client = server.client();
    const ip = newClientIp();
    // The percent-encoded spellings are routed to GET /api/me (401 when signed out) and counted like it.
    const first = await client.get('flow', '/%61pi/me', from(ip));
    assert.equal(first.status, 401, first.text);
    assert.equal(first.headers['ratelimit-remaining'], String(API_LIMIT - 1), 'an encoded API path is counted');
    for (let i = 1; i < API_LIMIT; i++) assert.equal((await client.get('flow', '/api/me', from(ip))).status, 401);
    assert.equal((await client.get('flow', '/api/me', from(ip))).status, 429);
    for (const path of ME_VARIANTS) {
      const response = await client.get('flow', path, from(ip));
      // Refused, or never routed to the handler (a 404): the handler's 401 would mean the limit was skipped.
      assert.ok(response.status === 429 || response.status === 404, `${path}: ${response.status} ${response.text.slice(0, 200)}`);
    }
  });

  it('counts encoded spellings of the sign-in (JSON and form) against the sign-in limit', async () => {
    await awayFromWindowEnd();
    const user = await server.createUser();
    const client = server.client();
    const ip = newClientIp();
    const attempt = (app: string, path: string) => client.post(app, path, { json: { email: user.email, password: 'wrong password' }, ...from(ip) });
    assert.equal((await attempt('flow', '/%61pi/session')).status, 401);
    assert.equal((await attempt('links', '/api/sessio%6e')).status, 401);
    for (const [app, path] of [['flow', '/%61pi/session'], ['flow', '/api/sessio%6e'], ['accounts', '/api/session'], ['links', '/%61%70%69/%73ession']] as const) {
      const response = await attempt(app, path);
      assert.equal(response.status, 429, `${app} ${path}: ${response.text}`);
    }
    const form = await client.post('accounts', '/sign%69n', { form: { email: user.email, password: TEST_PASSWORD }, ...from(ip, { accept: 'text/html' }) });
    assert.equal(form.status, 429, 'the sign-in form, percent-encoded');
    for (const path of ['/API/session', '/api/session/', '/%2561pi/session']) {
      const response = await attempt('flow', path);
      assert.ok(response.status === 429 || response.status === 404, `${path}: ${response.status} ${response.text.slice(0, 200)}`);
    }
    // Only the two attempts that were let through reached the password check.
    const failures = await server.services.audit.list(100, { event: 'auth.signin_failed' });
    assert.equal(failures.filter((e) => e.ip === ip).length, SIGNIN_LIMIT);
  });

  it('answers errors on an encoded API path as the API does (JSON), not as a page', async () => {
    const client = server.client();
    const ip = newClientIp();
    const response = await client.get('flow', '/%61pi/tasks', from(ip));
    assert.equal(response.status, 401, response.text);
    assert.equal(response.json().error.code, 'unauthenticated');
    const missing = await client.get('flow', '/%61pi/nothing-here', from(ip));
    assert.equal(missing.status, 404);
    assert.equal(missing.json().error.code, 'not_found');
  });
});

describe('normalisePath (requests that matched no route)', () => {
  it('decodes once, lowercases and drops repeated and trailing slashes', () => {
    assert.equal(normalisePath('/flow/%61pi/Tasks/?x=1'), '/flow/api/tasks');
    assert.equal(normalisePath('/flow//API//me'), '/flow/api/me');
    assert.equal(normalisePath('/flow/%2561pi'), '/flow/%61pi');
    assert.equal(normalisePath('/flow/%zz'), '/flow/%zz');
    assert.equal(normalisePath('/'), '/');
  });
});
