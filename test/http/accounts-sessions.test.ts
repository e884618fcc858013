import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

interface SessionJson {
  id: string;
  createdAt: string | null;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

describe("a user's sessions (accounts: GET/DELETE /api/sessions)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  /** One browser per device, told apart by its user agent. */
  async function device(email: string, userAgent: string): Promise<HostClient> {
    const client = server.client();
    const response = await client.post('accounts', '/api/session', { json: { email, password: TEST_PASSWORD }, headers: { 'user-agent': userAgent } });
    assert.equal(response.status, 200, response.text);
    return client;
  }

  async function list(client: HostClient): Promise<SessionJson[]> {
    const response = await client.get('accounts', '/api/sessions');
    assert.equal(response.status, 200, response.text);
    return response.json().data;
  }

  it('lists the own sessions, this one first and flagged, named by a hash and never by the cookie', async () => {
    const user = await server.createUser();
    const laptop = await device(user.email, 'Laptop/1.0');
    const phone = await device(user.email, 'Phone/2.0');
    await device((await server.createUser()).email, 'Someone else');
    const sessions = await list(laptop);
    assert.equal(sessions.length, 2);
    assert.deepEqual(sessions.map((s) => [s.userAgent, s.current]), [['Laptop/1.0', true], ['Phone/2.0', false]]);
    for (const s of sessions) {
      assert.match(s.id, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(s.ip, '127.0.0.1');
      assert.ok(s.createdAt && !Number.isNaN(Date.parse(s.createdAt)));
      assert.ok(!Number.isNaN(Date.parse(s.lastSeenAt)));
    }
    const cookies = [laptop.cookie('marg_session'), phone.cookie('marg_session')];
    const text = (await laptop.get('accounts', '/api/sessions')).text;
    for (const cookie of cookies) assert.ok(cookie && !text.includes(cookie), 'no session id in the list');
    assert.deepEqual((await list(phone)).map((s) => [s.userAgent, s.current]), [['Phone/2.0', true], ['Laptop/1.0', false]]);
    assert.equal((await server.client().get('accounts', '/api/sessions')).status, 401);
  });

  it('ends one session: its cookie is signed out on every host at once', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const laptop = await device(user.email, 'Laptop');
    const phone = await device(user.email, 'Phone');
    const phoneId = (await list(laptop)).find((s) => s.userAgent === 'Phone')?.id;
    assert.ok(phoneId);
    const revoked = await laptop.delete('accounts', `/api/sessions/${phoneId}`);
    assert.equal(revoked.status, 204, revoked.text);
    for (const app of ['accounts', 'flow', 'links']) assert.equal((await phone.get(app, '/api/me')).status, 401, app);
    assert.equal((await phone.post('flow', '/api/tasks', { json: { title: 'from a revoked session' } })).status, 401);
    assert.equal((await laptop.get('flow', '/api/me')).status, 200);
    assert.deepEqual((await list(laptop)).map((s) => s.userAgent), ['Laptop']);
    assert.equal((await laptop.delete('accounts', `/api/sessions/${phoneId}`)).status, 404, 'already gone');

    // Another user's session is not found, and stays.
    const other = await device((await server.createUser()).email, 'Other');
    const otherId = (await list(other))[0]?.id;
    assert.equal((await laptop.delete('accounts', `/api/sessions/${otherId}`)).status, 404);
    assert.equal((await other.get('accounts', '/api/me')).status, 200);
    assert.equal((await laptop.delete('accounts', '/api/sessions/not-a-session-id')).status, 400);
  });

  it('ends every other session ("sign out other devices") and keeps this one', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const laptop = await device(user.email, 'Laptop');
    const others = [await device(user.email, 'Phone'), await device(user.email, 'Tablet')];
    const response = await laptop.delete('accounts', '/api/sessions');
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), { revoked: 2 });
    for (const client of others) assert.equal((await client.get('flow', '/api/me')).status, 401);
    assert.equal((await laptop.get('flow', '/api/me')).status, 200);
    assert.equal((await laptop.post('flow', '/api/tasks', { json: { title: 'still signed in' } })).status, 201);
    assert.deepEqual((await list(laptop)).map((s) => s.current), [true]);
    const audit = await server.services.audit.list(50, { event: 'auth.sessions_revoked' });
    assert.ok(audit.some((e) => e.subject === user.email && (e.details as { sessions?: number }).sessions === 2));
  });

  it('ending the own session from the list signs this browser out', async () => {
    const user = await server.createUser();
    const laptop = await device(user.email, 'Laptop');
    const own = (await list(laptop))[0];
    assert.ok(own?.current);
    assert.equal((await laptop.delete('accounts', `/api/sessions/${own.id}`)).status, 204);
    assert.equal((await laptop.get('accounts', '/api/me')).status, 401);
  });
});
