import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import type { RateLimitStore } from '../../src/ratelimit/contract.ts';
import { clientKey, requestLimits } from '../../src/http/rate-limit.ts';
import type { TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { awayFromWindowEnd, from, startLimitedServer } from './rate-limit-window.ts';

const API_LIMIT = 5;
const SIGNIN_LIMIT = 3;
let ipCounter = 0;
/** Each test is its own client address (the server trusts the loopback proxy's X-Forwarded-For), so their counters never meet. */
const newClientIp = () => `198.51.100.${++ipCounter}`;

function assertLimitHeaders(response: TestResponse, limit: number, remaining: number, label: string): void {
  assert.equal(response.headers['ratelimit-limit'], String(limit), label);
  assert.equal(response.headers['ratelimit-remaining'], String(remaining), label);
  const reset = Number(response.headers['ratelimit-reset']);
  assert.ok(Number.isInteger(reset) && reset >= 1 && reset <= 60, `${label}: RateLimit-Reset ${response.headers['ratelimit-reset']}`);
}

describe('request limits (API_RATE_LIMIT, SIGNIN_RATE_LIMIT)', () => {
  let server: TestServer;
  before(async () => {
    server = await startLimitedServer(API_LIMIT, SIGNIN_LIMIT);
  });
  after(() => server.close());

  it('counts signed-out API requests per client IP and per app, then answers 429 with Retry-After and RateLimit-* headers', async () => {
    await awayFromWindowEnd();
    const client = server.client();
    const ip = newClientIp();
    for (let i = 1; i <= API_LIMIT; i++) {
      const response = await client.get('flow', '/api/me', from(ip));
      assert.equal(response.status, 401, `request ${i}`);
      assertLimitHeaders(response, API_LIMIT, API_LIMIT - i, `request ${i}`);
    }
    const refused = await client.get('flow', '/api/me', from(ip));
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.json().error.code, 'too_many_requests');
    assert.match(refused.json().error.message, /limit is 5 a minute/);
    assertLimitHeaders(refused, API_LIMIT, 0, 'the refusal');
    assert.equal(refused.headers['retry-after'], refused.headers['ratelimit-reset'], 'Retry-After is when the window ends');
    assert.equal(refused.headers['x-frame-options'], 'SAMEORIGIN', 'a refusal carries the security headers too');

    // Another app, and another client address, each have their own counter.
    const otherApp = await client.get('links', '/api/me', from(ip));
    assert.equal(otherApp.status, 401);
    assertLimitHeaders(otherApp, API_LIMIT, API_LIMIT - 1, 'links');
    assert.equal((await client.get('flow', '/api/me', from(newClientIp()))).status, 401);
  });

  it('counts per user once signed in, whatever address they come from', async () => {
    await awayFromWindowEnd();
    const [alice, bob] = [await server.createUser(), await server.createUser()];
    const ip = newClientIp();
    const aliceClient = server.client();
    const bobClient = server.client();
    // Signing in on accounts: the flow counters are untouched.
    await aliceClient.post('accounts', '/api/session', { json: { email: alice.email, password: TEST_PASSWORD }, ...from(ip) });
    await bobClient.post('accounts', '/api/session', { json: { email: bob.email, password: TEST_PASSWORD }, ...from(ip) });
    for (let i = 1; i <= API_LIMIT; i++) {
      // A signed-in user moving between addresses keeps one counter.
      const response = await aliceClient.get('flow', '/api/me', from(i % 2 ? ip : newClientIp()));
      assert.equal(response.status, 200, `request ${i}: ${response.text}`);
      assertLimitHeaders(response, API_LIMIT, API_LIMIT - i, `request ${i}`);
    }
    assert.equal((await aliceClient.get('flow', '/api/me', from(ip))).status, 429);
    assert.equal((await aliceClient.get('flow', '/api/me', from(newClientIp()))).status, 429, 'a new address does not reset a user');
    // Bob shares Alice's address but not her counter, nor does the address's signed-out counter.
    assert.equal((await bobClient.get('flow', '/api/me', from(ip))).status, 200);
    assert.equal((await server.client().get('flow', '/api/me', from(ip))).status, 401);
  });

  it('never limits /health*, assets or pages', async () => {
    await awayFromWindowEnd();
    const client = server.client();
    const ip = newClientIp();
    for (let i = 0; i < API_LIMIT * 3; i++) {
      for (const path of ['/health', '/health/live', '/health/ready', '/assets/marg.css']) {
        const response = await client.get('flow', path, from(ip));
        assert.equal(response.status, 200, `${path} #${i}`);
        assert.equal(response.headers['ratelimit-limit'], undefined, path);
      }
      assert.equal((await client.get('flow', '/', from(ip, { accept: 'text/html' }))).status, 302, 'a page');
    }
  });

  it('limits sign-in attempts per client IP before any password is checked, on the API and the form', async () => {
    await awayFromWindowEnd();
    const user = await server.createUser();
    const ip = newClientIp();
    const client = server.client();
    for (let i = 1; i <= SIGNIN_LIMIT; i++) {
      const response = i === 2
        ? await client.post('accounts', '/signin', { form: { email: user.email, password: `wrong ${i}` }, ...from(ip, { accept: 'text/html' }) })
        : await client.post(i === 1 ? 'flow' : 'links', '/api/session', { json: { email: user.email, password: `wrong ${i}` }, ...from(ip) });
      assert.equal(response.status, 401, `attempt ${i}: ${response.text.slice(0, 200)}`);
      assertLimitHeaders(response, SIGNIN_LIMIT, SIGNIN_LIMIT - i, `attempt ${i}`);
    }
    // The right password no longer helps from this address for the rest of the minute (the failure lockout has not struck: 3 < 5).
    const api = await client.post('flow', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, ...from(ip) });
    assert.equal(api.status, 429, api.text);
    assert.match(api.json().error.message, /Too many sign-in attempts: the limit is 3 a minute/);
    assert.ok(Number(api.headers['retry-after']) >= 1);
    const form = await client.post('accounts', '/signin', { form: { email: user.email, password: TEST_PASSWORD }, ...from(ip, { accept: 'text/html' }) });
    assert.equal(form.status, 429);
    assert.match(String(form.headers['content-type']), /^text\/html/);
    assert.match(form.text, /Too many requests/);
    assert.ok(form.headers['retry-after']);
    // Refused before the password check: only the three attempts that ran were audited.
    const failures = await server.services.audit.list(100, { event: 'auth.signin_failed' });
    assert.equal(failures.filter((e) => e.ip === ip).length, SIGNIN_LIMIT);
    // Another address signs in.
    assert.equal((await client.post('flow', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, ...from(newClientIp()) })).status, 200);
  });

  it('counts concurrent requests exactly: a burst gets the limit and no more', async () => {
    await awayFromWindowEnd();
    const client = server.client();
    const ip = newClientIp();
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.get('flow', '/api/me', from(ip))));
    assert.equal(responses.filter((r) => r.status === 401).length, API_LIMIT);
    assert.equal(responses.filter((r) => r.status === 429).length, 20 - API_LIMIT);
  });
});

describe('request limits switched off (0)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' });
  });
  after(() => server.close());

  it('neither counts nor sends RateLimit headers', async () => {
    const client = server.client();
    for (let i = 0; i < 30; i++) {
      const response = await client.get('flow', '/api/me');
      assert.equal(response.status, 401);
      assert.equal(response.headers['ratelimit-limit'], undefined);
    }
  });
});

describe('request limits when the rate-limit store fails', () => {
  function storeThat(hit: () => Promise<never>): RateLimitStore {
    const limiter = { hit, take: hit, peek: hit, reset: async () => {}, refund: async () => {} };
    return { driver: 'broken', limiter: () => limiter, close: async () => {} };
  }

  for (const [what, hit] of [
    ['errors', () => Promise.reject(new Error('connection refused'))],
    ['hangs', () => new Promise<never>(() => {})],
  ] as const) {
    it(`lets requests through when the store ${what} (the limits must not become the outage)`, async () => {
      const app = Fastify();
      app.decorateRequest('session', null);
      app.addHook('onRequest', requestLimits({ store: storeThat(hit), apiPerMinute: 1, signinPerMinute: 1 })!.limit);
      app.get('/flow/api/thing', async () => ({ ok: true }));
      try {
        const started = performance.now();
        for (let i = 0; i < 3; i++) {
          const response = await app.inject({ method: 'GET', url: '/flow/api/thing' });
          assert.equal(response.statusCode, 200);
          assert.equal(response.headers['ratelimit-limit'], undefined);
        }
        assert.ok(performance.now() - started < 5_000, 'a hanging store is given up on within a second per request');
      } finally {
        await app.close();
      }
    });
  }
});

describe('clientKey', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    assert.equal(clientKey('203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:ffff::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });
});
