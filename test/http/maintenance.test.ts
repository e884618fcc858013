import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeAppKey } from '../../src/config/app-key.ts';
import { MaintenanceMode, type MaintenanceState } from '../../src/maintenance/mode.ts';
import { MaintenanceSecrets } from '../../src/maintenance/secrets.ts';
import type { HostClient, TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';

const SECRET = 'let-me-in-0123';

describe('maintenance mode on the web role', () => {
  let server: TestServer;
  let mode: MaintenanceMode;
  let secrets: MaintenanceSecrets;

  before(async () => {
    // Limits off: the polling below would use up an API limit.
    server = await startTestServer({ API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' });
    mode = new MaintenanceMode(server.services.cache);
    secrets = new MaintenanceSecrets(decodeAppKey(server.config.appKey!));
  });
  afterEach(async () => {
    await mode.up();
    await until(async () => (await server.client().get('flow', '/api/me', { allowServerError: true })).status === 401, 3_000);
  });
  after(() => server.close());

  /** Puts the apps down (as `marg down` does) and waits, bounded, until this node answers 503; returns how long that took. */
  async function goDown(state: Partial<MaintenanceState> = {}): Promise<number> {
    const started = performance.now();
    await mode.down({ since: new Date().toISOString(), retryAfterSeconds: 60, ...state });
    await until(async () => (await server.client().get('flow', '/api/me', { allowServerError: true })).status === 503, 3_000);
    return performance.now() - started;
  }

  const get = (client: HostClient, app: string, path: string, accept = 'application/json') => client.get(app, path, { headers: { accept }, allowServerError: true });

  function assertMaintenance(response: TestResponse, label: string, retryAfter = '60'): void {
    assert.equal(response.status, 503, `${label}: ${response.text.slice(0, 200)}`);
    assert.equal(response.headers['retry-after'], retryAfter, label);
    assert.equal(response.headers['cache-control'], 'no-store', label);
  }

  it('answers every app request with 503 + Retry-After, JSON for API clients and a page for browsers, within about a second', async (t) => {
    const ms = await goDown({ retryAfterSeconds: 120 });
    t.diagnostic(`maintenance reached this node ${Math.round(ms)} ms after the state was written`);
    assert.ok(ms < 2_000, `took ${Math.round(ms)} ms`);
    const client = server.client();
    const api = await get(client, 'flow', '/api/tasks');
    assertMaintenance(api, 'api', '120');
    assert.equal(api.json().error.code, 'maintenance');
    assert.match(api.json().error.message, /down for maintenance/);
    for (const [app, path] of [['accounts', '/signin'], ['flow', '/'], ['links', '/some-slug']] as const) {
      const page = await get(client, app, path, 'text/html');
      assertMaintenance(page, `${app}${path}`, '120');
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.text, /Down for maintenance/);
      assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
    }
    // A sign-in attempt is refused too (nothing changes while down).
    assertMaintenance(await client.post('flow', '/api/session', { json: { email: 'a@b.c', password: 'x' }, allowServerError: true }), 'sign-in', '120');
  });

  it('keeps /health, /health/live, /health/ready and the stylesheet answering, so load balancers keep the node', async () => {
    await goDown();
    const client = server.client();
    for (const path of ['/health', '/health/live', '/health/ready', '/assets/marg.css']) {
      assert.equal((await client.get('flow', path)).status, 200, path);
    }
    // Decided on the route the router matched: an app path spelled with percent-escapes is still gated.
    for (const path of ['/%68ealth', '/%61pi/me', '/Health']) assertMaintenance(await get(client, 'flow', path), path);
  });

  it('shows the operator\'s message', async () => {
    await goDown({ message: 'Upgrading the database <b>now</b>; back at 14:00.' });
    const client = server.client();
    assert.equal((await get(client, 'flow', '/api/me')).json().error.message, 'Upgrading the database <b>now</b>; back at 14:00.');
    const page = await get(client, 'flow', '/', 'text/html');
    assert.match(page.text, /Upgrading the database &lt;b&gt;now&lt;\/b&gt;; back at 14:00\./, 'escaped');
  });

  it('lets a browser through on every app host after it visits /<secret>', async () => {
    await goDown({ secretHash: secrets.hash(SECRET) });
    const client = server.client();
    for (const wrong of ['/let-me-in-0124', `/${SECRET}x`, `/${SECRET}/`, `/x/${SECRET}`]) assertMaintenance(await get(client, 'flow', wrong, 'text/html'), wrong);
    const visit = await get(client, 'links', `/${SECRET}`, 'text/html');
    assert.equal(visit.status, 302, visit.text);
    assert.equal(visit.headers.location, '/');
    const cookie = [visit.headers['set-cookie']].flat().find((c) => c?.startsWith('marg_maintenance='));
    assert.ok(cookie, String(visit.headers['set-cookie']));
    assert.match(cookie, /; Domain=\.marg\.localhost/i);
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.doesNotMatch(cookie, /; Secure/i, 'not Secure over plain HTTP');
    assert.doesNotMatch(cookie, new RegExp(SECRET), 'the cookie does not carry the secret');
    // Through, on every host, signing in included.
    assert.equal((await get(client, 'flow', '/api/me')).status, 401);
    assert.equal((await get(client, 'accounts', '/signin', 'text/html')).status, 200);
    const user = await server.createUser();
    await client.signIn('links', user.email, TEST_PASSWORD);
    assert.equal((await get(client, 'flow', '/api/me')).status, 200);
    // Others still wait.
    assertMaintenance(await get(server.client(), 'flow', '/api/me'), 'another browser');
  });

  it('refuses a forged, tampered or expired bypass cookie, and one from an earlier maintenance window', async () => {
    await goDown({ secretHash: secrets.hash('first-secret-1') });
    const earlier = secrets.cookie(secrets.hash('first-secret-1'));
    await mode.down({ since: new Date().toISOString(), retryAfterSeconds: 60, secretHash: secrets.hash('second-secret-2') });
    const current = secrets.cookie(secrets.hash('second-secret-2'));
    const expired = secrets.cookie(secrets.hash('second-secret-2'), Date.now() - 13 * 3600_000);
    const [expires, mac] = current.split('.');
    const otherKey = new MaintenanceSecrets(Buffer.alloc(32, 7)).cookie(secrets.hash('second-secret-2'));
    await until(async () => {
      const client = server.client();
      client.jar.setCookieSync(`marg_maintenance=${current}; Domain=.marg.localhost; Path=/`, client.url('flow', '/'));
      return (await get(client, 'flow', '/api/me')).status === 401;
    }, 3_000);
    for (const [label, value] of [
      ['an earlier window', earlier],
      ['expired', expired],
      ['a later expiry with the old MAC', `${Number(expires) + 3600}.${mac ?? ''}`],
      ['another APP_KEY', otherKey],
      ['garbage', 'x'.repeat(60)],
    ] as const) {
      const client = server.client();
      client.jar.setCookieSync(`marg_maintenance=${value}; Domain=.marg.localhost; Path=/`, client.url('flow', '/'));
      assertMaintenance(await get(client, 'flow', '/api/me'), label);
    }
  });

  it('leaves a signed-in visitor\'s session alone: signed in again after `up`', async () => {
    const user = await server.createUser();
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    const sessionCookie = client.cookie('marg_session');
    await goDown();
    const refused = await get(client, 'flow', '/api/me');
    assertMaintenance(refused, 'signed in');
    assert.equal(refused.headers['set-cookie'], undefined, 'the 503 neither clears nor sets a cookie');
    await mode.up();
    await until(async () => (await get(client, 'flow', '/api/me')).status === 200, 3_000);
    assert.equal(client.cookie('marg_session'), sessionCookie);
  });
});
