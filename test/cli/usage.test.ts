import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { startTestServer } from '../support/platform.ts';

const COMMANDS = ['start', 'serve', 'migrate', 'key:generate', 'user:create', 'user:password', 'user:logout', 'role:grant', 'role:revoke', 'health'];

describe('marg usage and configuration errors', () => {
  after(() => cleanupCli());

  it('--help lists every command and exits 0', async () => {
    const result = await runMarg(['--help'], { cwd: tempDir() });
    assert.equal(result.code, 0, describeResult(result));
    for (const command of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
  });

  it('an unknown command exits 2 and names it', async () => {
    const result = await runMarg(['frobnicate'], { cwd: tempDir() });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /^error: unknown command 'frobnicate'$/m);
  });

  it('a bad variable in the environment exits 2 naming it, without a stack trace', async () => {
    const dir = tempDir();
    const result = await runMarg(['migrate'], { cwd: dir, env: { PORT: 'abc' } });
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(result.stderr, 'marg: Invalid configuration:\n  - PORT: expected integer (got "abc")\n');
    assert.equal(result.stdout, '');
  });

  it('a bad variable in .env stops `marg start` before it writes or serves anything', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'PORT=abc\n');
    const result = await runMarg(['start'], { cwd: dir, timeoutMs: 20_000 });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /^\s+- PORT: expected integer \(got "abc"\)$/m);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(readdirSync(dir), ['.env'], 'no APP_KEY written, no storage created');
  });

  it('names every bad variable at once, and never echoes a secret', async () => {
    const result = await runMarg(['migrate'], { cwd: tempDir(), env: { PORT: '70000', APP_KEY: 'not-a-key', CACHE_STORE: 'floppy' } });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /- PORT: /);
    assert.match(result.stderr, /- APP_KEY: has the wrong format/);
    assert.match(result.stderr, /- CACHE_STORE: must be one of /);
    assert.doesNotMatch(result.stderr, /not-a-key/);
  });

  it('health exits 2 when nothing answers at --url', async () => {
    const dir = tempDir();
    const result = await runMarg(['health', '--url', 'http://127.0.0.1:9'], { cwd: dir });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /^marg: no answer from http:\/\/127\.0\.0\.1:9 /);
    assert.equal(existsSync(join(dir, 'storage')), false);
  });

  it('health prints the details from the metrics port when METRICS_PORT is set, only the status from the app port', async () => {
    const server = await startTestServer({ METRICS_PORT: '0' });
    try {
      const details = await runMarg(['health'], { cwd: tempDir(), env: { METRICS_PORT: String(server.web.metrics!.port), PORT: String(server.port) } });
      assert.equal(details.code, 0, describeResult(details));
      const body = JSON.parse(details.stdout) as Record<string, unknown>;
      assert.equal(body.status, 'healthy');
      assert.equal(body.pid, process.pid);
      assert.equal(typeof body.drivers, 'object');
      const status = await runMarg(['health'], { cwd: tempDir(), env: { PORT: String(server.port) } });
      assert.equal(status.code, 0, describeResult(status));
      assert.deepEqual(JSON.parse(status.stdout), { status: 'healthy' });
    } finally {
      await server.close();
    }
  });
});
