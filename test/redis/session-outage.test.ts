import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { healthDetails, startTestServer, type TestServer } from '../support/platform.ts';

// Port 1 on loopback has no Redis: the session store fails on every call.
describe('sessions while Redis does not answer', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ SESSION_DRIVER: 'redis', REDIS_HOST: '127.0.0.1', REDIS_PORT: '1', REDIS_PREFIX: 'marg_outage_test_', METRICS_PORT: '0' });
  });
  after(() => server.close());

  it('answers pages and the API with a clear 503 and Retry-After, never a raw 500', async () => {
    const client = server.client();
    const page = await client.get('accounts', '/signin', { allowServerError: true });
    assert.equal(page.status, 503);
    assert.equal(page.headers['retry-after'], '5');
    assert.match(page.text, /Service unavailable/);
    assert.doesNotMatch(page.text, /ECONNREFUSED|max retries/i, 'no driver internals');

    client.jar.setCookieSync(`marg_session=${'a'.repeat(43)}; Domain=.marg.localhost; Path=/`, client.url('flow', '/'));
    const me = await client.get('flow', '/api/me', { allowServerError: true });
    assert.equal(me.status, 503);
    assert.equal(me.json().error.code, 'service_unavailable');
    assert.equal(me.headers['set-cookie'], undefined, 'an outage does not sign anyone out');
  });

  it('keeps /health/live answering and reports the failure on /health', async () => {
    const client = server.client();
    client.jar.setCookieSync(`marg_session=${'a'.repeat(43)}; Domain=.marg.localhost; Path=/`, client.url('flow', '/'));
    assert.equal((await client.get('flow', '/health/live')).status, 200);
    const health = await client.get('flow', '/health', { allowServerError: true });
    assert.equal(health.status, 503);
    assert.deepEqual(health.json(), { status: 'unhealthy' });
    assert.equal((await healthDetails(server)).body.session, 'unhealthy');
  });
});
