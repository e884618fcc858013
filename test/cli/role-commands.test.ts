import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignIn } from '../../src/auth/signin.ts';
import type { Services } from '../../src/platform/services.ts';
import { cleanupCli, describeResult, migratedProject, principalOf, runMarg, withCliServices } from '../support/cli.ts';

const PASSWORD = 'a long enough password';

describe('marg role:grant, role:revoke and user:password', () => {
  let dir: string;
  const marg = (...args: string[]) => runMarg(args, { cwd: dir });
  const inspect = <T>(work: (services: Services) => Promise<T>) => withCliServices(dir, {}, work);
  const lookUp = (email: string) => principalOf(dir, email);

  before(async () => {
    dir = await migratedProject();
    await inspect(async (services) => {
      for (const email of ['dee@example.test', 'eve@example.test']) {
        const user = await services.users.create({ email, name: email.split('@')[0]!, password: PASSWORD });
        await services.rbac.grant(user.id, { app: 'flow', role: 'viewer' });
      }
    });
  });
  after(() => cleanupCli());

  it('grants and revokes, saying what changed, effective at once', async () => {
    const email = 'dee@example.test';
    // Resolve (and cache) the permissions first, so the grant must invalidate them.
    assert.deepEqual((await lookUp(email))?.permissions, ['flow.tasks.read']);

    const grant = await marg('role:grant', '--email', email, '--role', 'flow:admin');
    assert.equal(grant.code, 0, describeResult(grant));
    assert.equal(grant.stdout, `Granted flow:admin to ${email}\n`);
    assert.ok((await lookUp(email))?.permissions.includes('flow.tasks.manage'));

    const again = await marg('role:grant', '--email', email, '--role', 'flow:admin');
    assert.equal(again.code, 0, describeResult(again));
    assert.equal(again.stdout, `${email} already has flow:admin\n`);

    const revoke = await marg('role:revoke', '--email', email, '--role', 'flow:admin');
    assert.equal(revoke.code, 0, describeResult(revoke));
    assert.equal(revoke.stdout, `Revoked flow:admin from ${email}\n`);
    const principal = await lookUp(email);
    assert.deepEqual(principal?.roles, ['flow:viewer']);
    assert.deepEqual(principal?.permissions, ['flow.tasks.read']);

    const none = await marg('role:revoke', '--email', email, '--role', 'flow:admin');
    assert.equal(none.code, 0, describeResult(none));
    assert.equal(none.stdout, `${email} does not have flow:admin\n`);
  });

  it('refuses an unknown user or role with exit code 2', async () => {
    const [nobody, badRole] = await Promise.all([
      marg('role:grant', '--email', 'nobody@example.test', '--role', 'flow:editor'),
      marg('role:revoke', '--email', 'eve@example.test', '--role', 'flow:superuser'),
    ]);
    assert.equal(nobody!.code, 2, describeResult(nobody!));
    assert.equal(nobody!.stderr, 'marg: no user with email nobody@example.test\n');
    assert.equal(badRole!.code, 2, describeResult(badRole!));
    assert.match(badRole!.stderr, /^marg: --role "flow:superuser" is not app:role/);
  });

  it('sets a password with user:password, refusing a short one', async () => {
    const [result, short] = await Promise.all([
      marg('user:password', '--email', 'eve@example.test', '--password', 'a brand new password'),
      marg('user:password', '--email', 'eve@example.test', '--password', 'short'),
    ]);
    assert.equal(result!.code, 0, describeResult(result!));
    assert.equal(result!.stdout, 'Password changed for eve@example.test; 0 sessions ended\n');
    assert.equal(short!.code, 2, describeResult(short!));
    assert.equal(short!.stderr, 'marg: --password must be 8 to 256 characters\n');
    const [oldOne, newOne] = await inspect(async (services) => {
      const signIn = new SignIn(services);
      return [await signIn.attempt('eve@example.test', PASSWORD, '127.0.0.1'), await signIn.attempt('eve@example.test', 'a brand new password', '127.0.0.1')];
    });
    assert.equal(oldOne?.ok, false);
    assert.equal(newOne?.ok, true);
  });
});
