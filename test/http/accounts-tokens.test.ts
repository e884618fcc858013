import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/auth/access-tokens.ts';
import type { HostClient } from '../support/client.ts';
import { recordSecret } from '../support/log-capture.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

interface CreatedToken {
  id: number;
  name: string;
  abilities: string[];
  token: string;
  expiresAt: string | null;
}

describe('personal API tokens (POST/GET/DELETE /api/tokens, Authorization: Bearer)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ API_RATE_LIMIT: '1000' });
  });
  after(() => server.close());

  async function signedIn(roles: { app: string; role: 'viewer' | 'editor' | 'admin' }[] = [{ app: 'flow', role: 'editor' }]) {
    const user = await server.createUser({ roles });
    const client = server.client();
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    return { user, client };
  }

  async function create(client: HostClient, body: Record<string, unknown>): Promise<CreatedToken> {
    const response = await client.post('accounts', '/api/tokens', { json: body });
    assert.equal(response.status, 201, response.text);
    const created = response.json<CreatedToken>();
    recordSecret(created.token);
    return created;
  }

  /** A fresh client (no cookies) with only the bearer token: what curl or a script sends. */
  function bearer(app: string, path: string, token: string, options: { method?: string; json?: unknown } = {}) {
    const client = server.client();
    return client.request(options.method ?? 'GET', app, path, { headers: { authorization: `Bearer ${token}` }, ...(options.json !== undefined ? { json: options.json } : {}) });
  }

  it('creates a token shown once, recognisable and hashed at rest; lists and revokes it (then 401)', async () => {
    const { user, client } = await signedIn();
    const created = await create(client, { name: 'CI script', abilities: ['flow.tasks.read', 'flow.tasks.create'] });
    assert.match(created.token, /^marg_pat_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.abilities, ['flow.tasks.create', 'flow.tasks.read']);
    assert.equal(created.name, 'CI script');

    const stored = await server.services.databases.get<never>('rbac').db.selectFrom('personal_access_tokens' as never).selectAll().execute();
    const text = JSON.stringify(stored);
    assert.ok(!text.includes(created.token), 'the token is not stored');
    assert.ok(text.includes(hashToken(created.token)), 'its SHA-256 is');

    const list = await client.get('accounts', '/api/tokens');
    assert.equal(list.status, 200);
    const listed = list.json().data as Record<string, unknown>[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.id, created.id);
    assert.equal(listed[0]!.token, undefined, 'never listed again');
    assert.ok(!list.text.includes(created.token));

    const tasks = await bearer('flow', '/api/tasks', created.token);
    assert.equal(tasks.status, 200, tasks.text);
    assert.equal(tasks.headers['set-cookie'], undefined, 'no session started for a token');
    const posted = await bearer('flow', '/api/tasks', created.token, { method: 'POST', json: { title: 'by token, no CSRF' } });
    assert.equal(posted.status, 201, posted.text);
    assert.equal(posted.json().createdBy ?? posted.json().ownerId ?? user.id, user.id);
    const me = await bearer('links', '/api/me', created.token);
    assert.equal(me.status, 200);
    assert.deepEqual(me.json().permissions, ['flow.tasks.create', 'flow.tasks.read'], "the token's abilities, not all the user's permissions");

    assert.equal((await client.delete('accounts', `/api/tokens/${created.id}`)).status, 204);
    const revoked = await bearer('flow', '/api/tasks', created.token);
    assert.equal(revoked.status, 401);
    assert.equal(revoked.json().error.code, 'invalid_token');
    assert.match(String(revoked.headers['www-authenticate']), /^Bearer error="invalid_token"/);
    assert.equal((await client.delete('accounts', `/api/tokens/${created.id}`)).status, 404, 'already revoked');

    const audit = await server.services.audit.list(50);
    assert.ok(audit.some((e) => e.event === 'token.created' && e.actorId === user.id));
    assert.ok(audit.some((e) => e.event === 'token.revoked' && e.actorId === user.id));
  });

  it('a token never does more than its abilities nor than its user may now: 403 for a missing ability', async () => {
    const { user, client } = await signedIn();
    const readOnly = await create(client, { name: 'reader', abilities: ['flow.tasks.read'] });
    assert.equal((await bearer('flow', '/api/tasks', readOnly.token)).status, 200);
    const denied = await bearer('flow', '/api/tasks', readOnly.token, { method: 'POST', json: { title: 'nope' } });
    assert.equal(denied.status, 403, 'signed in (by token) but without the ability');
    assert.equal(denied.json().error.code, 'forbidden');
    assert.equal((await bearer('links', '/api/links', readOnly.token)).status, 403);

    const everything = await create(client, { name: 'all', abilities: ['*'] });
    assert.equal((await bearer('flow', '/api/tasks', everything.token, { method: 'POST', json: { title: 'yes' } })).status, 201);
    // The role goes: the `*` token loses it at once, as the user's sessions do.
    await server.services.rbac.revoke(user.id, { app: 'flow', role: 'editor' });
    assert.equal((await bearer('flow', '/api/tasks', everything.token)).status, 403);
  });

  it('refuses abilities the user does not hold, bad names and past expiries with 422; needs a session (401/403)', async () => {
    const { client } = await signedIn();
    const foreign = await client.post('accounts', '/api/tokens', { json: { name: 'x', abilities: ['accounts.users.create'] } });
    assert.equal(foreign.status, 422);
    assert.ok(foreign.json().error.fields.abilities);
    const empty = await client.post('accounts', '/api/tokens', { json: { name: ' ', abilities: [] } });
    assert.equal(empty.status, 422);
    assert.deepEqual(Object.keys(empty.json().error.fields).sort(), ['abilities', 'name']);
    const past = await client.post('accounts', '/api/tokens', { json: { name: 'x', abilities: ['*'], expiresAt: '2020-01-01T00:00:00Z' } });
    assert.equal(past.status, 422);
    assert.ok(past.json().error.fields.expiresAt);
    const garbage = await client.post('accounts', '/api/tokens', { json: { name: 'x', abilities: ['*'], expiresAt: 'tomorrow' } });
    assert.equal(garbage.status, 422);
    assert.equal((await client.post('accounts', '/api/tokens', { json: { name: 'x', abilities: 'flow.tasks.read' } })).status, 400);
    assert.equal((await client.post('accounts', '/api/tokens', { json: { name: 'x', abilities: ['*'], extra: 1 } })).status, 400);

    assert.equal((await server.client().post('accounts', '/api/tokens', { json: { name: 'x', abilities: ['*'] } })).status, 401);
    assert.equal((await server.client().get('accounts', '/api/tokens')).status, 401);
    const token = await create(client, { name: 'all', abilities: ['*'] });
    const minted = await bearer('accounts', '/api/tokens', token.token, { method: 'POST', json: { name: 'more', abilities: ['*'] } });
    assert.equal(minted.status, 403);
    assert.equal(minted.json().error.code, 'session_required');
    assert.equal((await bearer('accounts', '/api/tokens', token.token)).status, 403);
    // Another user's token id is not found.
    const other = await signedIn();
    assert.equal((await other.client.delete('accounts', `/api/tokens/${token.id}`)).status, 404);
    assert.equal((await bearer('flow', '/api/tasks', token.token)).status, 200, 'still valid');
  });

  it('expired, tampered, malformed and unknown tokens get 401 invalid_token with a clear message', async () => {
    const { client } = await signedIn();
    const token = await create(client, { name: 'short-lived', abilities: ['*'], expiresAt: new Date(Date.now() + 60_000).toISOString() });
    assert.equal((await bearer('flow', '/api/tasks', token.token)).status, 200);
    await server.services.databases.get<never>('rbac').db
      .updateTable('personal_access_tokens' as never)
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() } as never)
      .where('id' as never, '=', token.id as never)
      .execute();
    const expired = await bearer('flow', '/api/tasks', token.token);
    assert.equal(expired.status, 401);
    assert.match(expired.json().error.message, /expired/);

    const fresh = await create(client, { name: 'fresh', abilities: ['*'] });
    const last = fresh.token.at(-1) === 'A' ? 'B' : 'A';
    const tampered = await bearer('flow', '/api/tasks', fresh.token.slice(0, -1) + last);
    assert.equal(tampered.status, 401);
    assert.match(tampered.json().error.message, /unknown|revoked/);
    const malformed = await bearer('flow', '/api/tasks', 'not-a-token');
    assert.equal(malformed.status, 401);
    assert.match(malformed.json().error.message, /marg_pat_/);
    assert.equal((await bearer('flow', '/api/tasks', '')).status, 401);
  });

  it("a disabled user's tokens are refused (401), and work again once enabled; last use is noted", async () => {
    const { user, client } = await signedIn();
    const token = await create(client, { name: 'svc', abilities: ['*'] });
    assert.equal((await bearer('flow', '/api/tasks', token.token)).status, 200);
    const listed = (await client.get('accounts', '/api/tokens')).json().data[0];
    assert.ok(listed.lastUsedAt && !Number.isNaN(Date.parse(listed.lastUsedAt)), 'last use recorded');
    await server.services.users.setDisabled(user.id, true);
    await server.services.rbac.forget(user.id);
    const refused = await bearer('flow', '/api/tasks', token.token);
    assert.equal(refused.status, 401);
    assert.match(refused.json().error.message, /disabled/);
    await server.services.users.setDisabled(user.id, false);
    assert.equal((await bearer('flow', '/api/tasks', token.token)).status, 200);
  });

  it('a bearer request ignores (and keeps) the browser session cookie; pages ignore the header', async () => {
    const { client } = await signedIn();
    const token = await create(client, { name: 'reader', abilities: ['flow.tasks.read'] });
    const response = await client.request('GET', 'flow', '/api/me', { headers: { authorization: `Bearer ${token.token}` } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json().permissions, ['flow.tasks.read']);
    assert.equal(response.headers['set-cookie'], undefined, 'the cookie is not cleared');
    assert.equal((await client.get('flow', '/api/me')).json().permissions.includes('flow.tasks.create'), true, 'the session is untouched');
    const page = await server.client().request('GET', 'flow', '/', { headers: { authorization: `Bearer ${token.token}`, accept: 'text/html' } });
    assert.equal(page.status, 302, 'pages are for sessions: signed out without one');
  });

  it('tokens are rate-limited per user like sessions', async () => {
    const limited = await startTestServer({ API_RATE_LIMIT: '3' });
    try {
      const user = await limited.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
      const client = limited.client();
      await client.signIn('accounts', user.email, TEST_PASSWORD);
      const created = (await client.post('accounts', '/api/tokens', { json: { name: 'x', abilities: ['*'] } })).json<CreatedToken>();
      recordSecret(created.token);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push((await limited.client().request('GET', 'flow', '/api/tasks', { headers: { authorization: `Bearer ${created.token}` } })).status);
      }
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
      assert.equal(statuses[3], 429);
    } finally {
      await limited.close();
    }
  });
});
