import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { writeAppKey } from '../../src/config/app-key.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';

describe('user and role commands before `marg migrate`', () => {
  after(() => cleanupCli());

  it('exit 2 with a message saying to migrate, not an SQL error', async () => {
    const dir = tempDir();
    writeAppKey(dir);
    const commands = [
      ['user:create', '--email', 'early@example.test', '--password', 'a long enough password'],
      ['user:create', '--email', 'early@example.test', '--password', 'a long enough password', '--role', 'flow:editor'],
      ['role:grant', '--email', 'early@example.test', '--role', 'flow:editor'],
      ['user:password', '--email', 'early@example.test', '--password', 'a long enough password'],
      ['user:logout', '--email', 'early@example.test'],
    ];
    // One at a time: the first runs against storage that does not exist yet.
    for (const args of commands) {
      const result = await runMarg(args, { cwd: dir });
      assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
      assert.equal(result.stderr, 'marg: the databases are not migrated yet: run `marg migrate` first\n', args.join(' '));
    }
  });
});
