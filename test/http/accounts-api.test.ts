import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseRoleRef, type RoleRef } from '../../src/auth/permissions.ts';
import { HostClient } from '../support/client.ts';
import { startTestServer, TEST_DOMAIN, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const role = (text: string): RoleRef => {
  const ref = parseRoleRef(text);
  assert.ok(ref, `not a role: ${text}`);
  return ref;
};

describe('accounts API', () => {
  let server: TestServer;
  let admin: { id: number; email: string; client: HostClient };

  const browser = () => new HostClient(server.port, TEST_DOMAIN);
  async function signedIn(roles: string[], name?: string) {
    const user = await server.createUser({ roles: roles.map(role), ...(name ? { name } : {}) });
    const client = browser();
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    return { ...user, client };
  }
  const audit = async (event: string) => (await admin.client.get('accounts', `/api/audit?event=${event}&limit=100`)).json().data;

  before(async () => {
    server = await startTestServer();
    admin = await signedIn(['accounts:admin', 'flow:admin']);
  });
  after(() => server.close());

  it('answers 401 to every endpoint when signed out', async () => {
    const client = browser();
    for (const [method, path, json] of [
      ['GET', '/api/users'],
      ['GET', '/api/users/1'],
      ['POST', '/api/users', { email: 'x@example.test', name: 'X', password: 'long enough' }],
      ['GET', '/api/roles'],
      ['GET', '/api/audit'],
      ['POST', '/api/users/1/roles', { role: 'flow:viewer' }],
      ['DELETE', '/api/users/1/roles/flow:viewer'],
    ] as const) {
      const response = await client.request(method, 'accounts', path, json ? { json } : {});
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.json().error.code, 'unauthenticated');
    }
  });

  it('creates a user with roles (201) and reads it back', async () => {
    const response = await admin.client.post('accounts', '/api/users', {
      json: { email: '  New.Person@Example.TEST ', name: ' New Person ', password: 'a good password', roles: ['flow:editor', 'links:viewer'] },
    });
    assert.equal(response.status, 201, response.text);
    const created = response.json();
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'disabled', 'email', 'id', 'name', 'roles']);
    assert.equal(created.email, 'new.person@example.test');
    assert.equal(created.name, 'New Person');
    assert.deepEqual(created.roles, ['flow:editor', 'links:viewer']);
    assert.match(created.createdAt, /^\d{4}-\d\d-\d\dT/);

    const fetched = await admin.client.get('accounts', `/api/users/${created.id}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.json(), created);

    const newcomer = browser();
    await newcomer.signIn('flow', 'new.person@example.test', 'a good password');
    assert.ok((await newcomer.get('flow', '/api/me')).json().permissions.includes('flow.tasks.create'));

    const created_ = (await audit('user.created')).find((e: { subject: string }) => e.subject === 'new.person@example.test');
    assert.equal(created_.actorId, admin.id);
    assert.deepEqual(created_.details, { roles: ['flow:editor', 'links:viewer'] });
  });

  it('lists users newest first with their roles, paginated by cursor', async () => {
    const a = await server.createUser({ roles: [role('links:editor')] });
    const b = await server.createUser();
    const first = await admin.client.get('accounts', '/api/users?limit=1');
    assert.equal(first.status, 200);
    const page1 = first.json();
    assert.deepEqual(page1.data, [{ id: b.id, email: b.email, name: b.name, createdAt: b.createdAt, roles: [], disabled: false }]);
    assert.equal(typeof page1.next, 'string');
    const page2 = (await admin.client.get('accounts', `/api/users?limit=1&cursor=${page1.next}`)).json();
    assert.deepEqual(page2.data, [{ id: a.id, email: a.email, name: a.name, createdAt: a.createdAt, roles: ['links:editor'], disabled: false }]);

    const all = (await admin.client.get('accounts', '/api/users?limit=100')).json();
    assert.equal(all.next, null);
    const ids = all.data.map((u: { id: number }) => u.id);
    assert.deepEqual(ids, [...ids].sort((x: number, y: number) => y - x));
    assert.deepEqual(all.data.find((u: { id: number }) => u.id === admin.id).roles, ['accounts:admin', 'flow:admin']);
    assert.equal((await admin.client.get('accounts', '/api/users')).json().data.length, Math.min(25, ids.length));
  });

  it('refuses a bad cursor or limit with 400', async () => {
    for (const query of ['cursor=garbage', 'cursor=%25%25', `cursor=${Buffer.from('id:abc').toString('base64url')}`, 'limit=0', 'limit=101', 'limit=x']) {
      const response = await admin.client.get('accounts', `/api/users?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal((await admin.client.get('accounts', `/api/audit?${query}`)).status, 400, `audit ${query}`);
    }
  });

  it('validates new users: 400 for wrong types and unknown fields, 422 for bad values, 409 for a taken email', async () => {
    const good = { email: 'valid@example.test', name: 'Valid', password: 'long enough pw' };
    const cases: [unknown, number, string][] = [
      [{ ...good, email: 5 }, 400, 'email'],
      [{ ...good, roles: 'flow:editor' }, 400, 'roles'],
      [{ ...good, admin: true }, 400, 'admin'],
      [{ email: good.email, name: good.name }, 400, 'password'],
      [{ ...good, email: 'not-an-email' }, 422, 'email'],
      [{ ...good, password: 'short' }, 422, 'password'],
      [{ ...good, name: '   ' }, 422, 'name'],
      [{ ...good, roles: ['flow:owner'] }, 422, 'roles'],
      [{ ...good, roles: ['nosuchapp:viewer'] }, 422, 'roles'],
      [{ ...good, email: admin.email.toUpperCase() }, 409, 'email'],
    ];
    for (const [json, status, field] of cases) {
      const response = await admin.client.post('accounts', '/api/users', { json });
      assert.equal(response.status, status, JSON.stringify(json));
      assert.ok(response.json().error.fields[field], `${JSON.stringify(json)} → ${response.text}`);
    }
    const malformed = await admin.client.post('accounts', '/api/users', { body: '{"email":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.equal((await admin.client.get('accounts', '/api/users?limit=100')).json().data.some((u: { email: string }) => u.email === good.email), false);
  });

  it('answers 404 for an unknown id and 400 for an id that is not a positive integer', async () => {
    const missing = await admin.client.get('accounts', '/api/users/999999');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().error.code, 'not_found');
    assert.equal((await admin.client.post('accounts', '/api/users/999999/roles', { json: { role: 'flow:viewer' } })).status, 404);
    assert.equal((await admin.client.delete('accounts', '/api/users/999999/roles/flow:viewer')).status, 404);
    for (const id of ['abc', '1.5', '0', '-1', '99999999999']) {
      assert.equal((await admin.client.get('accounts', `/api/users/${id}`)).status, 400, id);
      assert.equal((await admin.client.post('accounts', `/api/users/${id}/roles`, { json: { role: 'flow:viewer' } })).status, 400, id);
    }
  });

  it('enforces permissions: viewers and editors cannot create users or change roles', async () => {
    const target = await server.createUser();
    const viewer = await signedIn(['accounts:viewer']);
    const editor = await signedIn(['accounts:editor', 'flow:admin']);
    const outsider = await signedIn(['flow:admin']);
    for (const who of [viewer, editor]) {
      assert.equal((await who.client.get('accounts', '/api/users')).status, 200);
      assert.equal((await who.client.get('accounts', `/api/users/${target.id}`)).status, 200);
      const create = await who.client.post('accounts', '/api/users', { json: { email: `by${who.id}@example.test`, name: 'N', password: 'long enough' } });
      assert.equal(create.status, 403);
      assert.equal(create.json().error.code, 'forbidden');
      assert.equal((await who.client.post('accounts', `/api/users/${target.id}/roles`, { json: { role: 'flow:admin' } })).status, 403);
      assert.equal((await who.client.post('accounts', `/api/users/${who.id}/roles`, { json: { role: 'accounts:admin' } })).status, 403);
      assert.equal((await who.client.delete('accounts', `/api/users/${admin.id}/roles/accounts:admin`)).status, 403);
    }
    assert.equal((await viewer.client.get('accounts', '/api/audit')).status, 403);
    assert.equal((await editor.client.get('accounts', '/api/audit')).status, 200);
    assert.equal((await outsider.client.get('accounts', '/api/users')).status, 403);
    assert.equal((await outsider.client.get('accounts', '/api/roles')).status, 200, 'any signed-in user sees the roles');
    assert.deepEqual((await admin.client.get('accounts', `/api/users/${target.id}`)).json().roles, []);
    assert.deepEqual((await admin.client.get('accounts', `/api/users/${admin.id}`)).json().roles, ['accounts:admin', 'flow:admin']);
  });

  it('lists every role with its permissions', async () => {
    const response = await admin.client.get('accounts', '/api/roles');
    assert.equal(response.status, 200);
    const roles = response.json().data as { app: string; name: string; description: string; permissions: string[] }[];
    assert.deepEqual(roles.map((r) => `${r.app}:${r.name}`).sort(), [
      'accounts:admin', 'accounts:editor', 'accounts:viewer', 'flow:admin', 'flow:editor', 'flow:viewer', 'links:admin', 'links:editor', 'links:viewer', 'ops:admin', 'ops:editor', 'ops:viewer',
    ]);
    assert.deepEqual(roles.find((r) => r.app === 'flow' && r.name === 'viewer'), { app: 'flow', name: 'viewer', description: 'Reads tasks', permissions: ['flow.tasks.read'] });
  });

  it("applies a grant to the target's very next request on another host, and a revoke likewise", async () => {
    const target = await signedIn([]);
    // Warm the target's cached permissions first: the grant must invalidate them.
    assert.deepEqual((await target.client.get('flow', '/api/me')).json().permissions, []);

    const granted = await admin.client.post('accounts', `/api/users/${target.id}/roles`, { json: { role: 'flow:editor' } });
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.json().roles, ['flow:editor']);
    assert.equal(granted.json().id, target.id);
    assert.deepEqual((await target.client.get('flow', '/api/me')).json().permissions, ['flow.tasks.create', 'flow.tasks.delete', 'flow.tasks.read', 'flow.tasks.update']);

    const again = await admin.client.post('accounts', `/api/users/${target.id}/roles`, { json: { role: 'flow:editor' } });
    assert.equal(again.status, 200, 'granting twice is fine');
    assert.deepEqual(again.json().roles, ['flow:editor']);

    const revoked = await admin.client.delete('accounts', `/api/users/${target.id}/roles/flow%3Aeditor`);
    assert.equal(revoked.status, 200);
    assert.deepEqual(revoked.json().roles, []);
    assert.deepEqual((await target.client.get('flow', '/api/me')).json().permissions, []);
    assert.equal((await target.client.get('flow', '/')).status, 403);

    const twice = await admin.client.delete('accounts', `/api/users/${target.id}/roles/flow:editor`);
    assert.equal(twice.status, 200, 'revoking what is not held is fine');
    assert.deepEqual(twice.json().roles, []);

    const entries = (await audit('rbac.granted')).filter((e: { subject: string }) => e.subject === target.email);
    assert.equal(entries.length, 1, 'a no-op grant changes nothing and is not logged');
    assert.deepEqual(
      { event: entries[0].event, actorId: entries[0].actorId, details: entries[0].details, ip: entries[0].ip },
      { event: 'rbac.granted', actorId: admin.id, details: { role: 'flow:editor' }, ip: '127.0.0.1' },
    );
    const revokes = (await audit('rbac.revoked')).filter((e: { subject: string }) => e.subject === target.email);
    assert.deepEqual(revokes.map((e: { actorId: number; details: unknown }) => [e.actorId, e.details]), [[admin.id, { role: 'flow:editor' }]]);
  });

  it('answers 422 for an unknown role in a grant and 404 for one in a revoke', async () => {
    const target = await server.createUser();
    for (const bad of ['flow:owner', 'nosuch:viewer', 'flow', '']) {
      const response = await admin.client.post('accounts', `/api/users/${target.id}/roles`, { json: { role: bad } });
      assert.equal(response.status, 422, bad);
      assert.ok(response.json().error.fields.role);
    }
    assert.equal((await admin.client.post('accounts', `/api/users/${target.id}/roles`, { json: { role: 7 } })).status, 400);
    assert.equal((await admin.client.post('accounts', `/api/users/${target.id}/roles`, { json: { role: 'flow:viewer', extra: 1 } })).status, 400);
    assert.equal((await admin.client.delete('accounts', `/api/users/${target.id}/roles/flow:owner`)).status, 404);
    assert.equal((await admin.client.delete('accounts', `/api/users/${target.id}/roles/nonsense`)).status, 404);
  });

  it('audits sign-in, failed sign-in and denials', async () => {
    const user = await server.createUser();
    const client = browser();
    assert.equal((await client.post('flow', '/api/session', { json: { email: user.email, password: 'wrong password' } })).status, 401);
    await client.signIn('flow', user.email, TEST_PASSWORD);
    assert.equal((await client.get('accounts', '/api/users')).status, 403);

    const failed = (await audit('auth.signin_failed')).find((e: { subject: string }) => e.subject === user.email);
    assert.deepEqual(Object.keys(failed).sort(), ['actorId', 'at', 'details', 'event', 'id', 'ip', 'subject']);
    assert.equal(failed.actorId, user.id);
    const signin = (await audit('auth.signin')).find((e: { subject: string }) => e.subject === user.email);
    assert.equal(signin.actorId, user.id);
    assert.ok(signin.id > failed.id, 'newest first by id');
    const denied = (await audit('rbac.denied')).find((e: { actorId: number }) => e.actorId === user.id);
    assert.equal(denied.subject, 'accounts.users.read');
    assert.deepEqual(denied.details, { method: 'GET', path: '/api/users' });

    const all = (await admin.client.get('accounts', '/api/audit?limit=2')).json();
    assert.equal(all.data.length, 2);
    assert.ok(all.data[0].id > all.data[1].id);
    const next = (await admin.client.get('accounts', `/api/audit?limit=2&cursor=${all.next}`)).json();
    assert.ok(next.data[0].id < all.data[1].id);
    assert.deepEqual((await admin.client.get('accounts', '/api/audit?event=no.such_event')).json(), { data: [], next: null });
  });
});

describe('accounts API: the last accounts:admin', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('refuses (409) a revoke that would leave nobody holding accounts:admin', async () => {
    const first = await server.createUser({ roles: [role('accounts:admin')] });
    const client = new HostClient(server.port, TEST_DOMAIN);
    await client.signIn('accounts', first.email, TEST_PASSWORD);

    const alone = await client.delete('accounts', `/api/users/${first.id}/roles/accounts:admin`);
    assert.equal(alone.status, 409);
    assert.equal(alone.json().error.code, 'conflict');
    assert.deepEqual((await client.get('accounts', `/api/users/${first.id}`)).json().roles, ['accounts:admin']);

    const second = await server.createUser();
    assert.equal((await client.post('accounts', `/api/users/${second.id}/roles`, { json: { role: 'accounts:admin' } })).status, 200);
    const handedOver = await client.delete('accounts', `/api/users/${first.id}/roles/accounts:admin`);
    assert.equal(handedOver.status, 200, 'someone else still holds it');
    assert.deepEqual(handedOver.json().roles, []);
    assert.equal((await client.get('accounts', '/api/users')).status, 403, 'the change applies to the very next request');

    const other = new HostClient(server.port, TEST_DOMAIN);
    await other.signIn('accounts', second.email, TEST_PASSWORD);
    assert.equal((await other.delete('accounts', `/api/users/${second.id}/roles/accounts:admin`)).status, 409);
    assert.equal((await other.delete('accounts', `/api/users/${first.id}/roles/accounts:admin`)).status, 200, 'revoking from a non-holder is a no-op');
  });
});
