import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { firstRunCredentialsPath, writeFirstRunCredentials } from '../../src/support/first-run-credentials.ts';
import { recordSecret } from '../support/log-capture.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const NEW_PASSWORD = 'another good passphrase';
recordSecret(NEW_PASSWORD);

describe('profile (PATCH /api/me, PUT /api/me/password) and user administration (disable, enable, delete)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  async function signedIn(roles: { app: string; role: 'viewer' | 'editor' | 'admin' }[] = [], password = TEST_PASSWORD) {
    const user = await server.createUser({ roles, password });
    const client = server.client();
    await client.signIn('accounts', user.email, password);
    return { user, client };
  }

  it("the first-run credentials file goes at that user's first successful sign-in, not before", async () => {
    const user = await server.createUser();
    await writeFirstRunCredentials(server.config.storagePath, { email: user.email, password: TEST_PASSWORD }, []);
    const path = firstRunCredentialsPath(server.config.storagePath);
    assert.equal((await server.client().post('accounts', '/api/session', { json: { email: user.email, password: 'not the password' } })).status, 401);
    await server.client().signIn('flow', (await server.createUser()).email, TEST_PASSWORD);
    assert.ok(existsSync(path), 'a failed attempt and another user leave it');
    await server.client().signIn('accounts', user.email, TEST_PASSWORD);
    assert.ok(!existsSync(path));
  });

  it('renames oneself (422 for an empty name, 401 signed out); every app sees the new name', async () => {
    const { client } = await signedIn([{ app: 'flow', role: 'viewer' }]);
    const renamed = await client.patch('accounts', '/api/me', { json: { name: '  Grace Hopper ' } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json().name, 'Grace Hopper');
    assert.equal((await client.get('flow', '/api/me')).json().name, 'Grace Hopper');
    assert.equal((await client.patch('accounts', '/api/me', { json: { name: '  ' } })).status, 422);
    assert.equal((await client.patch('accounts', '/api/me', { json: { name: 'x', email: 'y' } })).status, 400);
    assert.equal((await server.client().patch('accounts', '/api/me', { json: { name: 'x' } })).status, 401);
  });

  it('changes the password with the current one: other sessions end, this one stays', async () => {
    const { user, client } = await signedIn([{ app: 'flow', role: 'viewer' }]);
    const phone = server.client();
    await phone.signIn('flow', user.email, TEST_PASSWORD);
    const wrong = await client.request('PUT', 'accounts', '/api/me/password', { json: { currentPassword: 'not it at all', password: NEW_PASSWORD } });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.json().error.fields.currentPassword, 'is wrong');
    const weak = await client.request('PUT', 'accounts', '/api/me/password', { json: { currentPassword: TEST_PASSWORD, password: 'short' } });
    assert.equal(weak.status, 422);
    assert.ok(weak.json().error.fields.password);
    assert.equal((await phone.get('flow', '/api/me')).status, 200, 'failed attempts change nothing');

    const changed = await client.request('PUT', 'accounts', '/api/me/password', { json: { currentPassword: TEST_PASSWORD, password: NEW_PASSWORD } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json(), { sessionsEnded: 1 });
    assert.equal((await phone.get('flow', '/api/me')).status, 401, 'the other session ended');
    assert.equal((await client.get('flow', '/api/me')).status, 200, 'this one stays');
    assert.equal((await server.client().post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD } })).status, 401);
    await server.client().signIn('accounts', user.email, NEW_PASSWORD);
  });

  it('an admin disables a user: signed out at once, sign-in refused (403), then enabled again', async () => {
    const admin = await signedIn([{ app: 'accounts', role: 'admin' }]);
    const { user, client } = await signedIn([{ app: 'flow', role: 'editor' }]);
    const disabled = await admin.client.post('accounts', `/api/users/${user.id}/disable`);
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.json().disabled, true);
    assert.equal((await client.get('flow', '/api/me')).status, 401, 'signed out at once');
    const signin = await server.client().post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD } });
    assert.equal(signin.status, 403);
    assert.equal(signin.json().error.code, 'account_disabled');
    const wrongPassword = await server.client().post('accounts', '/api/session', { json: { email: user.email, password: 'a wrong password' } });
    assert.equal(wrongPassword.status, 401, 'a wrong password is just wrong');
    assert.equal((await admin.client.get('accounts', `/api/users/${user.id}`)).json().disabled, true);

    const enabled = await admin.client.post('accounts', `/api/users/${user.id}/enable`);
    assert.equal(enabled.status, 200);
    assert.equal(enabled.json().disabled, false);
    await server.client().signIn('flow', user.email, TEST_PASSWORD);
    const audit = await server.services.audit.list(50);
    assert.ok(audit.some((e) => e.event === 'user.disabled' && e.subject === user.email && e.actorId === admin.user.id));
    assert.ok(audit.some((e) => e.event === 'user.enabled' && e.subject === user.email));
  });

  it('refuses: without accounts.users.manage 403, signed out 401, unknown 404, oneself and the last admin 409', async () => {
    const admin = await signedIn([{ app: 'accounts', role: 'admin' }]);
    const editor = await signedIn([{ app: 'accounts', role: 'editor' }]);
    const target = await server.createUser();
    assert.equal((await editor.client.post('accounts', `/api/users/${target.id}/disable`)).status, 403);
    assert.equal((await editor.client.delete('accounts', `/api/users/${target.id}`)).status, 403);
    assert.equal((await server.client().post('accounts', `/api/users/${target.id}/disable`)).status, 401);
    assert.equal((await admin.client.post('accounts', '/api/users/999999/disable')).status, 404);
    assert.equal((await admin.client.delete('accounts', '/api/users/999999')).status, 404);
    assert.equal((await admin.client.delete('accounts', '/api/users/abc')).status, 400);
    assert.equal((await admin.client.post('accounts', `/api/users/${admin.user.id}/disable`)).status, 409, 'not oneself');
  });

  it('deleting the last accounts admin is refused with 409; another user is deleted with their sessions', async () => {
    // A fresh platform: exactly one accounts admin.
    const solo = await startTestServer();
    try {
      const admin = await solo.createUser({ roles: [{ app: 'accounts', role: 'admin' }] });
      const client = solo.client();
      await client.signIn('accounts', admin.email, TEST_PASSWORD);
      const refused = await client.delete('accounts', `/api/users/${admin.id}`);
      assert.equal(refused.status, 409, refused.text);
      assert.match(refused.json().error.message, /last/);

      const second = await solo.createUser({ roles: [{ app: 'accounts', role: 'admin' }] });
      const secondClient = solo.client();
      await secondClient.signIn('accounts', second.email, TEST_PASSWORD);
      // Disabling the other admin is fine; then the only enabled admin cannot be disabled by anyone.
      assert.equal((await client.post('accounts', `/api/users/${second.id}/disable`)).status, 200);
      assert.equal((await secondClient.get('accounts', '/api/me')).status, 401);
      assert.equal((await client.post('accounts', `/api/users/${second.id}/enable`)).status, 200);

      const victim = await solo.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
      const victimClient = solo.client();
      await victimClient.signIn('flow', victim.email, TEST_PASSWORD);
      assert.equal((await client.delete('accounts', `/api/users/${victim.id}`)).status, 204);
      assert.equal((await victimClient.get('flow', '/api/me')).status, 401);
      assert.equal((await client.get('accounts', `/api/users/${victim.id}`)).status, 404);
      assert.equal((await client.delete('accounts', `/api/users/${victim.id}`)).status, 404);
      assert.equal((await solo.client().post('accounts', '/api/session', { json: { email: victim.email, password: TEST_PASSWORD } })).status, 401);
      // Now two admins: one may delete the other.
      assert.equal((await client.delete('accounts', `/api/users/${second.id}`)).status, 204);
      assert.equal((await client.delete('accounts', `/api/users/${admin.id}`)).status, 409);
    } finally {
      await solo.close();
    }
  });
});
