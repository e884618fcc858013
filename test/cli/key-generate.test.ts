import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';

const KEY = /^base64:[A-Za-z0-9+/]{43}=$/;

describe('marg key:generate', () => {
  after(() => cleanupCli());

  it('writes APP_KEY to a new owner-only .env once, and then refuses to overwrite it', async () => {
    const dir = tempDir();
    const first = await runMarg(['key:generate'], { cwd: dir });
    assert.equal(first.code, 0, describeResult(first));
    assert.equal(first.stdout, 'APP_KEY written to .env\n');
    const path = join(dir, '.env');
    const written = readFileSync(path, 'utf8');
    const keys = written.split('\n').filter((l) => l.startsWith('APP_KEY='));
    assert.equal(keys.length, 1);
    assert.match(keys[0]!.slice('APP_KEY='.length), KEY);
    assert.equal(statSync(path).mode & 0o777, 0o600);

    const second = await runMarg(['key:generate'], { cwd: dir });
    assert.equal(second.code, 2, describeResult(second));
    assert.equal(second.stderr, `marg: ${path} already has an APP_KEY; remove it first to rotate the key\n`);
    assert.equal(readFileSync(path, 'utf8'), written, '.env is unchanged');
  });

  it('fills an empty APP_KEY= in an existing .env, keeping the other settings', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'PORT=9090\nAPP_KEY=\nLOG_LEVEL=warn\n');
    const result = await runMarg(['key:generate'], { cwd: dir });
    assert.equal(result.code, 0, describeResult(result));
    const lines = readFileSync(join(dir, '.env'), 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.includes('PORT=9090') && lines.includes('LOG_LEVEL=warn'), lines.join('\n'));
    const keys = lines.filter((l) => l.startsWith('APP_KEY='));
    assert.equal(keys.length, 1);
    assert.match(keys[0]!.slice('APP_KEY='.length), KEY);
  });

  it('--show prints a fresh key and writes nothing', async () => {
    const dir = tempDir();
    const [a, b] = await Promise.all([runMarg(['key:generate', '--show'], { cwd: dir }), runMarg(['key:generate', '--show'], { cwd: dir })]);
    for (const result of [a!, b!]) {
      assert.equal(result.code, 0, describeResult(result));
      assert.match(result.stdout.trimEnd(), KEY);
      assert.equal(result.stderr, '');
    }
    assert.notEqual(a!.stdout, b!.stdout);
    assert.equal(existsSync(join(dir, '.env')), false);
  });
});
