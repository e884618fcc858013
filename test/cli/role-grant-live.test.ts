import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RawEnv } from '../../src/config/env-files.ts';
import { HostClient } from '../support/client.ts';
import { cleanupCli, describeResult, runMarg, startMarg, tempDir, type RunningMarg } from '../support/cli.ts';
import { backendEnv, startTestServer, TEST_DOMAIN, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

/**
 * The key scenario: an operator changes a role with the CLI, a separate process,
 * while the server runs; the user's very next request sees it (the shared embedded cache
 * is invalidated), with no restart.
 */
async function assertGrantTakesEffectLive(options: {
  admin: HostClient;
  user: HostClient;
  userId: number;
  userEmail: string;
  marg: (...args: string[]) => ReturnType<typeof runMarg>;
}): Promise<void> {
  const { admin, user, userId, userEmail, marg } = options;
  const created = await admin.post('flow', '/api/tasks', { json: { title: 'Review the live grant', assigneeId: userId } });
  assert.equal(created.status, 201, created.text);
  const taskId: unknown = created.json().id;
  assert.ok(Number.isInteger(taskId), created.text);

  // The server resolves (and caches) the viewer's permissions before the grant.
  const me = await user.get('flow', '/api/me');
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(me.json().permissions, ['flow.tasks.read']);
  const denied = await user.patch('flow', `/api/tasks/${taskId}`, { json: { status: 'doing' } });
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.json().error.code, 'forbidden');

  const grant = await marg('role:grant', '--email', userEmail, '--role', 'flow:editor');
  assert.equal(grant.code, 0, describeResult(grant));
  assert.equal(grant.stdout, `Granted flow:editor to ${userEmail}\n`);

  const allowed = await user.patch('flow', `/api/tasks/${taskId}`, { json: { status: 'doing' } });
  assert.equal(allowed.status, 200, allowed.text);
  assert.equal(allowed.json().id, taskId);
  assert.equal(allowed.json().status, 'doing');
  assert.ok((await user.get('flow', '/api/me')).json().permissions.includes('flow.tasks.update'));

  // And back: a revoke is just as immediate.
  const revoke = await marg('role:revoke', '--email', userEmail, '--role', 'flow:editor');
  assert.equal(revoke.code, 0, describeResult(revoke));
  assert.equal(revoke.stdout, `Revoked flow:editor from ${userEmail}\n`);
  const deniedAgain = await user.patch('flow', `/api/tasks/${taskId}`, { json: { status: 'done' } });
  assert.equal(deniedAgain.status, 403, deniedAgain.text);
}

describe('role:grant from the CLI reaches a running server at once', () => {
  let server: TestServer | undefined;
  let marg: RunningMarg | undefined;
  after(async () => {
    await server?.close();
    await cleanupCli();
  });

  it('against an in-process server sharing the storage folder', async () => {
    server = await startTestServer({ CACHE_STORE: 'sqlite' });
    const cliEnv: RawEnv = {
      // The same databases and Redis as the server when the suite runs on servers (the test matrix).
      ...backendEnv(server),
      STORAGE_PATH: server.storage,
      APP_KEY: server.config.appKey,
      MARG_DOMAIN: TEST_DOMAIN,
      CACHE_STORE: 'sqlite',
    };
    const cwd = tempDir();
    const adminUser = await server.createUser({ roles: [{ app: 'flow', role: 'admin' }] });
    const viewerUser = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const admin = server.client();
    await admin.signIn('flow', adminUser.email, TEST_PASSWORD);
    const user = server.client();
    await user.signIn('flow', viewerUser.email, TEST_PASSWORD);
    await assertGrantTakesEffectLive({ admin, user, userId: viewerUser.id, userEmail: viewerUser.email, marg: (...args) => runMarg(args, { cwd, env: cliEnv }) });
  });

  it('against `marg start`, with users made by the CLI', async () => {
    marg = await startMarg({ env: { LOG_LEVEL: 'warn' } });
    assert.ok(marg.admin, `no admin password printed:\n${marg.output().stdout}`);
    const cwd = marg.cwd;
    // The CLI finds APP_KEY in the .env that `marg start` wrote, and the storage in ./storage.
    const run = (...args: string[]) => runMarg(args, { cwd });
    const email = 'vic.viewer@example.test';
    const created = await run('user:create', '--email', email, '--password', TEST_PASSWORD, '--role', 'flow:viewer');
    assert.equal(created.code, 0, describeResult(created));
    const userId = Number(/^Created user #(\d+) /.exec(created.stdout)?.[1]);
    assert.ok(userId > 0, created.stdout);

    const admin = new HostClient(marg.port, 'marg.localhost');
    await admin.signIn('flow', marg.admin.email, marg.admin.password);
    const user = new HostClient(marg.port, 'marg.localhost');
    await user.signIn('flow', email, TEST_PASSWORD);
    await assertGrantTakesEffectLive({ admin, user, userId, userEmail: email, marg: run });

    const stopped = await marg.stop('SIGTERM');
    assert.equal(stopped.code, 0, JSON.stringify(marg.output()));
  });
});
