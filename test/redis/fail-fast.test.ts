import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generateAppKey } from '../../src/config/app-key.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { freePort } from '../support/redis-server.ts';

// A hang detector, not a time budget: the reachability check gives up after 5 s, and start-up is
// the rest, which a loaded CI machine stretches (a 15 s bound failed at 15.1-16.9 s at load 13-19).
// What fails is a process that keeps retrying (ioredis's default) instead of exiting.
const EXIT_WITHIN_MS = 60_000;

after(cleanupCli);

/** Runs `marg <args>` against a server port nobody listens on, timing it. */
async function againstClosedPort(args: string[], env: Record<string, string>) {
  const started = Date.now();
  const result = await runMarg(args, { cwd: tempDir(), env, timeoutMs: EXIT_WITHIN_MS });
  return { result, ms: Date.now() - started };
}

describe('a configured server that does not answer stops the process at boot', { concurrency: true }, () => {
  it('marg serve with SESSION_DRIVER=redis and nothing on REDIS_PORT exits non-zero, naming Redis and the variables', async (t) => {
    const port = await freePort();
    const { result, ms } = await againstClosedPort(['serve'], {
      APP_KEY: generateAppKey(),
      SESSION_DRIVER: 'redis',
      REDIS_PORT: String(port),
      REDIS_PASSWORD: 'never-print-this-secret',
    });
    const why = describeResult(result);
    assert.equal(result.timedOut, false, why);
    assert.equal(result.code, 1, why);
    t.diagnostic(`exited after ${ms} ms`);
    // The socket's reason, not ioredis's "max retries per request" wording.
    assert.match(result.stderr, new RegExp(`^marg: cannot reach Redis at 127\\.0\\.0\\.1:${port}/0: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(check REDIS_URL, REDIS_HOST/REDIS_PORT or REDIS_SENTINELS\\)\\n$`), why);
    assert.ok(!result.stderr.includes('never-print-this-secret') && !result.stdout.includes('never-print-this-secret'), 'the password is not printed');
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'one message, no stack trace');
  });

  it('marg migrate with DB_CONNECTION=mysql and nothing on DB_PORT exits non-zero, naming the database and DB_* variables', async (t) => {
    const port = await freePort();
    const { result, ms } = await againstClosedPort(['migrate'], { DB_CONNECTION: 'mysql', DB_PORT: String(port), DB_PASSWORD: 'never-print-this-secret' });
    const why = describeResult(result);
    assert.equal(result.timedOut, false, why);
    assert.equal(result.code, 1, why);
    t.diagnostic(`exited after ${ms} ms`);
    assert.match(result.stderr, new RegExp(`^marg: cannot reach the \\w+ database server "marg_\\w+" on mysql at 127\\.0\\.0\\.1:${port} as root \\(\\w+_DB_\\* or DB_\\*\\): .*ECONNREFUSED.*\\n$`), why);
    assert.ok(!result.stderr.includes('never-print-this-secret'), 'the password is not printed');
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'one message, no stack trace');
  });
});
