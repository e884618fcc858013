import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formCsrf, HostClient } from '../support/client.ts';
import { startTestServer, TEST_DOMAIN, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

describe('the sign-in form (accounts host)', () => {
  let server: TestServer;
  const browser = () => new HostClient(server.port, TEST_DOMAIN);

  /** Loads the form (as a browser without scripts would) and posts it with its hidden token. */
  async function submit(client: HostClient, fields: { email: string; password: string; next?: string }) {
    const form = await client.get('accounts', `/signin${fields.next ? `?next=${encodeURIComponent(fields.next)}` : ''}`);
    assert.equal(form.status, 200);
    const body: Record<string, string> = { _csrf: formCsrf(form), email: fields.email, password: fields.password };
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

  it('refuses a sign-in posted from another site (login CSRF), on the form and the API', async () => {
    const user = await server.createUser();
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { referer: 'https://evil.example/login-csrf.html' },
      { origin: `http://accounts.${TEST_DOMAIN}.evil.example:${server.port}` },
      { origin: `http://accounts.${TEST_DOMAIN}:1` },
    ];
    for (const headers of foreign) {
      const client = browser();
      const form = await client.post('accounts', '/signin', { form: { email: user.email, password: TEST_PASSWORD }, headers });
      assert.equal(form.status, 403, JSON.stringify(headers));
      const api = await client.post('flow', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers });
      assert.equal(api.status, 403, JSON.stringify(headers));
      assert.equal(api.json().error.code, 'cross_site_request');
      assert.equal((await client.get('accounts', '/api/me')).status, 401, 'not signed in');
    }
  });

  it('accepts a sign-in posted from an app page, and from a script with neither Origin nor Referer', async () => {
    const user = await server.createUser();
    const page = await browser().get('accounts', '/signin');
    assert.equal(page.headers['referrer-policy'], 'same-origin', 'so that browsers post the form with its real Origin, not "null"');
    const sameOrigin = browser();
    const origin = `http://accounts.${TEST_DOMAIN}:${server.port}`;
    const form = await sameOrigin.post('accounts', '/signin', { form: { email: user.email, password: TEST_PASSWORD }, headers: { origin, referer: `${origin}/signin` } });
    assert.equal(form.status, 303);
    assert.equal((await sameOrigin.get('accounts', '/api/me')).status, 200);
    const otherApp = browser();
    const api = await otherApp.post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers: { origin: `http://flow.${TEST_DOMAIN}:${server.port}` } });
    assert.equal(api.status, 200, 'another app host is not another site');
    const script = browser();
    assert.equal((await script.post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD } })).status, 200);
  });

  it('refuses a form post without the CSRF token once a session exists', async () => {
    const user = await server.createUser();
    const client = browser();
    await client.get('accounts', '/signin');
    const response = await client.post('accounts', '/signin', { form: { email: user.email, password: TEST_PASSWORD }, csrf: false });
    assert.equal(response.status, 403);
  });
});

describe('sign-in lockout: reserved before the password check, keyed by account and client IP', () => {
  let server: TestServer;
  // Loopback is the trusted proxy, so each request may name its client IP in X-Forwarded-For.
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  before(async () => {
    server = await startTestServer({ TRUSTED_PROXIES: '127.0.0.1' });
  });
  after(() => server.close());

  it('checks at most SIGNIN_MAX_ATTEMPTS passwords out of 15 concurrent wrong ones', async () => {
    const user = await server.createUser();
    const client = new HostClient(server.port, TEST_DOMAIN);
    const responses = await Promise.all(
      Array.from({ length: 15 }, (_, i) => client.post('accounts', '/api/session', { json: { email: user.email, password: `wrong ${i}` }, headers: from('203.0.113.5') })),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, `statuses ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 10);
    const checked = (await server.services.audit.list(100, { event: 'auth.signin_failed' })).filter((e) => e.subject === user.email);
    assert.equal(checked.length, 5, 'one audited password check per allowed attempt');
  });

  it("does not lock the owner out on another IP because of an attacker's failures", async () => {
    const user = await server.createUser();
    const attacker = new HostClient(server.port, TEST_DOMAIN);
    for (let i = 0; i < 8; i++) {
      const response = await attacker.post('accounts', '/api/session', { json: { email: user.email, password: `guess ${i}` }, headers: from('203.0.113.6') });
      assert.equal(response.status, i < 5 ? 401 : 429, `attempt ${i + 1}`);
    }
    const locked = await attacker.post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers: from('203.0.113.6') });
    assert.equal(locked.status, 429, 'the attacking IP stays locked for that account, right password or not');
    const owner = new HostClient(server.port, TEST_DOMAIN);
    const signedIn = await owner.post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers: from('198.51.100.7') });
    assert.equal(signedIn.status, 200);
  });

  it('counts an IPv6 client by its /64, so walking through the prefix gains no attempts', async () => {
    const user = await server.createUser();
    const client = new HostClient(server.port, TEST_DOMAIN);
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      statuses.push((await client.post('accounts', '/api/session', { json: { email: user.email, password: `guess ${i}` }, headers: from(`2001:db8:1:2::${i}`) })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
  });

  it('throttles an account failing from many IPs, but not for a client that signed in to it before', async () => {
    const user = await server.createUser();
    const owner = new HostClient(server.port, TEST_DOMAIN);
    assert.equal((await owner.post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers: from('198.51.100.8') })).status, 200);
    // 4 × SIGNIN_MAX_ATTEMPTS failures from four IPs: the account-wide threshold.
    for (let ip = 1; ip <= 4; ip++) {
      for (let i = 0; i < 5; i++) {
        const response = await new HostClient(server.port, TEST_DOMAIN).post('accounts', '/api/session', { json: { email: user.email, password: `x${i}` }, headers: from(`192.0.2.${ip}`) });
        assert.equal(response.status, 401);
      }
    }
    const fresh = () => new HostClient(server.port, TEST_DOMAIN).post('accounts', '/api/session', { json: { email: user.email, password: 'another guess' }, headers: from('192.0.2.50') });
    assert.equal((await fresh()).status, 401, 'a new client gets its paced try');
    const paced = await fresh();
    assert.equal(paced.status, 429, 'and then waits for the pace interval');
    assert.ok(Number(paced.headers['retry-after']) >= 1);
    const again = await new HostClient(server.port, TEST_DOMAIN).post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD }, headers: from('198.51.100.8') });
    assert.equal(again.status, 200, 'the known client still signs in');
  });
});
