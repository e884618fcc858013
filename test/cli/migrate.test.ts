import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateAppKey } from '../../src/config/app-key.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';

const DATABASES = ['platform', 'rbac', 'accounts', 'flow', 'links'];

/** `marg migrate --status` output: each database name, then one indented line per migration. */
function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n').filter(Boolean)) {
    if (!line.startsWith(' ')) out.set(line, (current = []));
    else {
      assert.ok(current, `a migration line before any database: ${line}`);
      current.push(line.trim());
    }
  }
  return out;
}

describe('marg migrate', () => {
  let dir: string;
  // APP_KEY from the environment this time (the users test reads it from .env).
  const env = { APP_KEY: generateAppKey() };
  const marg = (...args: string[]) => runMarg(args, { cwd: dir, env });

  before(() => {
    dir = tempDir();
  });
  after(() => cleanupCli());

  it('--status on fresh storage lists every migration as pending, changing nothing', async () => {
    const result = await marg('migrate', '--status');
    assert.equal(result.code, 0, describeResult(result));
    const status = sections(result.stdout);
    assert.deepEqual([...status.keys()], DATABASES);
    const rbac = status.get('rbac') ?? [];
    assert.ok(rbac.length > 0);
    for (const line of rbac) assert.match(line, /^pending\s+\S+$/);
    assert.doesNotMatch(result.stdout, /\bran\b/);
  });

  it('migrates every database into storage/database and syncs roles', async () => {
    const result = await marg('migrate');
    assert.equal(result.code, 0, describeResult(result));
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'Roles and permissions synced.');
    for (const line of lines.slice(0, -1)) assert.match(line, /^migrated (platform|rbac|accounts|flow|links)\/\S+$/);
    assert.ok(lines.includes('migrated rbac/2026_11_22_0001_create_users'), result.stdout);
    for (const db of DATABASES) assert.ok(existsSync(join(dir, 'storage', 'database', `${db}.sqlite`)), `${db}.sqlite`);
  });

  it('a second run has nothing to do', async () => {
    const result = await marg('migrate');
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stdout, 'Nothing to migrate.\n');
  });

  it('--status then lists platform, rbac, accounts, flow and links, every migration "ran"', async () => {
    const result = await marg('migrate', '--status');
    assert.equal(result.code, 0, describeResult(result));
    const status = sections(result.stdout);
    assert.deepEqual([...status.keys()], DATABASES);
    for (const [db, migrations] of status) {
      // Every app keeps its own tables, so every database has at least one migration.
      assert.ok(migrations.length > 0 && !migrations.includes('(no migrations)'), `${db} has no migrations:\n${result.stdout}`);
      for (const line of migrations) assert.match(line, /^ran \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+\S+$/, `${db}: ${line}`);
    }
  });
});
