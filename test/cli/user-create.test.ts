import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignIn } from '../../src/auth/signin.ts';
import type { Services } from '../../src/platform/services.ts';
import { cleanupCli, describeResult, migratedProject, principalOf, runMarg, withCliServices } from '../support/cli.ts';

const ALL_ROLES = ['accounts', 'flow', 'links', 'ops'].flatMap((app) => ['viewer', 'editor', 'admin'].map((role) => `${app}:${role}`));
const PASSWORD = 'a long enough password';

/** Each command runs as its own process in `dir`, reading APP_KEY from its `.env`. */
describe('marg user:create', () => {
  let dir: string;
  const marg = (...args: string[]) => runMarg(args, { cwd: dir });
  const inspect = <T>(work: (services: Services) => Promise<T>) => withCliServices(dir, {}, work);
  const lookUp = (email: string) => principalOf(dir, email);

  before(async () => {
    dir = await migratedProject();
  });
  after(() => cleanupCli());

  it('creates a user with roles, who can then sign in', async () => {
    const result = await marg('user:create', '--email', 'ann@example.test', '--password', PASSWORD, '--role', 'flow:editor', '--role', 'links:viewer');
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /^Created user #\d+ ann@example\.test with flow:editor, links:viewer\n$/);
    assert.equal(result.stderr, '');

    const principal = await lookUp('ann@example.test');
    assert.ok(principal);
    assert.equal(principal.name, 'ann', 'the name defaults to the part before @');
    assert.deepEqual([...principal.roles].sort(), ['flow:editor', 'links:viewer']);
    assert.ok(principal.permissions.includes('flow.tasks.create'));
    assert.ok(!principal.permissions.includes('flow.tasks.manage'));
    const signIn = await inspect((services) => new SignIn(services).attempt('ann@example.test', PASSWORD, '127.0.0.1'));
    assert.equal(signIn.ok, true);
  });

  it('takes --name, and works without roles', async () => {
    const result = await marg('user:create', '--email', 'bo@example.test', '--password', PASSWORD, '--name', 'Bo Builder');
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /^Created user #\d+ bo@example\.test\n$/);
    const principal = await lookUp('bo@example.test');
    assert.equal(principal?.name, 'Bo Builder');
    assert.deepEqual(principal?.roles, []);
  });

  it('refuses a duplicate email (in any letter case) with exit code 2', async () => {
    const result = await marg('user:create', '--email', 'ANN@Example.test', '--password', PASSWORD);
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(result.stderr, 'marg: a user with email ann@example.test already exists\n');
    assert.equal(result.stdout, '');
  });

  it('refuses a short password, an unknown role or a missing option with exit code 2, creating nobody', async () => {
    // Independent refusals: run side by side to keep the file fast.
    const [short, unknownApp, unknownRole, missing] = await Promise.all([
      marg('user:create', '--email', 'cy@example.test', '--password', 'seven77'),
      marg('user:create', '--email', 'cy@example.test', '--password', PASSWORD, '--role', 'payroll:admin'),
      marg('user:create', '--email', 'cy@example.test', '--password', PASSWORD, '--role', 'flow:owner'),
      marg('user:create', '--password', PASSWORD),
    ]);
    for (const result of [short!, unknownApp!, unknownRole!, missing!]) assert.equal(result.code, 2, describeResult(result));
    assert.equal(short!.stderr, 'marg: --password must be 8 to 256 characters\n');
    assert.equal(unknownApp!.stderr, `marg: unknown role payroll:admin; known: ${ALL_ROLES.join(', ')}\n`);
    assert.match(unknownRole!.stderr, /^marg: --role "flow:owner" is not app:role, with role one of viewer, editor, admin/);
    assert.match(missing!.stderr, /required option '--email <email>' not specified/);
    assert.equal(await lookUp('cy@example.test'), undefined);
  });
});
