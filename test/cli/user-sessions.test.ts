import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RawEnv } from '../../src/config/env-files.ts';
import type { HostClient } from '../support/client.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { backendEnv, startTestServer, TEST_DOMAIN, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

/**
 * A password change or an admin's sign-out from the CLI (a separate process) ends the user's
 * sessions in the shared store: the running server answers their cookies 401 at once.
 */
describe('marg user:password and user:logout end the sessions a running server holds', () => {
  let server: TestServer;
  let marg: (...args: string[]) => ReturnType<typeof runMarg>;

  before(async () => {
    server = await startTestServer();
    const cliEnv: RawEnv = { ...backendEnv(server), STORAGE_PATH: server.storage, APP_KEY: server.config.appKey, MARG_DOMAIN: TEST_DOMAIN };
    const cwd = tempDir();
    marg = (...args) => runMarg(args, { cwd, env: cliEnv });
  });
  after(async () => {
    await server.close();
    await cleanupCli();
  });

  async function signedIn(email: string, password = TEST_PASSWORD): Promise<HostClient> {
    const client = server.client();
    const response = await client.signIn('flow', email, password);
    assert.equal(response.status, 200, response.text);
    return client;
  }

  it('user:password signs the user out everywhere; the new password works', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const bystander = await server.createUser();
    const devices = [await signedIn(user.email), await signedIn(user.email)];
    const unaffected = await signedIn(bystander.email);
    assert.equal((await devices[0]!.post('flow', '/api/tasks', { json: { title: 'before' } })).status, 201);

    const result = await marg('user:password', '--email', user.email, '--password', 'a brand new password');
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stdout, `Password changed for ${user.email}; 2 sessions ended\n`);

    for (const device of devices) {
      assert.equal((await device.get('flow', '/api/me')).status, 401);
      assert.equal((await device.post('flow', '/api/tasks', { json: { title: 'after' } })).status, 401);
    }
    assert.equal((await unaffected.get('flow', '/api/me')).status, 200, "another user's session stays");
    await signedIn(user.email, 'a brand new password');
    const audit = await server.services.audit.list(50, { event: 'user.password_changed' });
    assert.ok(audit.some((e) => e.subject === user.email));
  });

  it('user:logout ends every session of the user', async () => {
    const user = await server.createUser();
    const device = await signedIn(user.email);
    const result = await marg('user:logout', '--email', user.email);
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stdout, `Signed ${user.email} out: 1 session ended\n`);
    assert.equal((await device.get('accounts', '/api/me')).status, 401);
    const again = await marg('user:logout', '--email', user.email);
    assert.equal(again.stdout, `Signed ${user.email} out: 0 sessions ended\n`);
    const nobody = await marg('user:logout', '--email', 'nobody@example.test');
    assert.equal(nobody.code, 2, describeResult(nobody));
  });
});
