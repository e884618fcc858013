import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { probeTcp, requireService, serviceAvailable, ServiceUnavailableError } from '../support/services.ts';

const REQUIRE_HINT = 'set MARG_REQUIRE_SERVICES=1 to make this a failure';

/** A port that was just free: nothing listens there now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('requireService', () => {
  let port: number;
  before(async () => {
    port = await closedPort();
  });

  it('answers available, quietly, when the probe succeeds', async (t) => {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const { port: open } = server.address() as { port: number };
    const lines: string[] = [];
    const status = await requireService('Redis', () => probeTcp('127.0.0.1', open), { env: {}, log: (l) => lines.push(l) });
    assert.deepEqual(status, { name: 'Redis', available: true, skipReason: undefined });
    assert.deepEqual(lines, []);
  });

  it('skips loudly when the server is missing and services are not required', async () => {
    for (const env of [{}, { MARG_REQUIRE_SERVICES: '0' }, { MARG_REQUIRE_SERVICES: '' }]) {
      const lines: string[] = [];
      const status = await serviceAvailable('Redis', () => probeTcp('127.0.0.1', port), { env, log: (l) => lines.push(l) });
      const reason = `Redis suite — no server at 127.0.0.1:${port} (ECONNREFUSED); ${REQUIRE_HINT}`;
      assert.deepEqual(status, { name: 'Redis', available: false, skipReason: reason }, JSON.stringify(env));
      assert.deepEqual(lines, [`SKIPPED: ${reason}`]);
    }
  });

  it('fails, naming the server and the error, when MARG_REQUIRE_SERVICES=1', async () => {
    const lines: string[] = [];
    await assert.rejects(
      requireService('Redis', () => probeTcp('127.0.0.1', port), { env: { MARG_REQUIRE_SERVICES: '1' }, log: (l) => lines.push(l) }),
      (error: unknown) => {
        assert.ok(error instanceof ServiceUnavailableError);
        assert.equal(error.message, `Redis is required (MARG_REQUIRE_SERVICES=1) but unavailable: no server at 127.0.0.1:${port} (ECONNREFUSED)`);
        assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
        return true;
      },
    );
    assert.deepEqual(lines, [], 'a failure is not also reported as a skip');
  });

  it('gives up on a probe that never answers', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const status = await requireService('MariaDB', () => new Promise<void>(() => {}), {
      env: {},
      target: '10.255.255.1:3306',
      timeoutMs: 50,
      log: (l) => lines.push(l),
    });
    assert.ok(Date.now() - started < 1000);
    assert.equal(status.skipReason, `MariaDB suite — no server at 10.255.255.1:3306 (ETIMEDOUT); ${REQUIRE_HINT}`);
  });

  it('describes a protocol-level failure by its message', async () => {
    const refuse = async () => Promise.reject(new Error('password authentication failed for user "marg"'));
    const atTarget = await requireService('PostgreSQL', refuse, { env: {}, target: '127.0.0.1:5432', log: () => {} });
    assert.equal(atTarget.skipReason, `PostgreSQL suite — server at 127.0.0.1:5432 failed the probe (password authentication failed for user "marg"); ${REQUIRE_HINT}`);
    const nowhere = await requireService('PostgreSQL', refuse, { env: {}, log: () => {} });
    assert.equal(nowhere.skipReason, `PostgreSQL suite — probe failed (password authentication failed for user "marg"); ${REQUIRE_HINT}`);
  });
});

describe('a server-backed suite under node:test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'marg-services-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // .mts: outside the project there is no package.json saying ESM, and the suite uses top-level await.
  const suite = join(dir, 'redis-suite.test.mts');

  before(async () => {
    const helpers = pathToFileURL(join(import.meta.dirname, '..', 'support', 'services.ts')).href;
    const port = await closedPort();
    writeFileSync(
      suite,
      `import { describe, it } from 'node:test';
import { serviceAvailable, probeTcp } from ${JSON.stringify(helpers)};
const redis = await serviceAvailable('Redis', () => probeTcp('127.0.0.1', ${port}));
describe('cache contract on redis', { skip: redis.skipReason }, () => {
  it('would talk to Redis', () => { throw new Error('ran without a server'); });
});
`,
    );
  });

  function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    // NODE_TEST_CONTEXT would make the child report to this runner instead of running its own.
    const { MARG_REQUIRE_SERVICES: _required, NODE_TEST_CONTEXT: _context, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', suite], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...inherited, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  it('is skipped, with a SKIPPED line on stderr, when the server is missing', async () => {
    const { code, stdout, stderr } = await run({});
    assert.equal(code, 0, stdout + stderr);
    assert.match(stderr + stdout, /SKIPPED: Redis suite — no server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); set MARG_REQUIRE_SERVICES=1/);
    // node:test marks the suite skipped, with the reason, in its report.
    assert.match(stdout, /^ok 1 - cache contract on redis # SKIP Redis suite — no server at /m);
    assert.match(stdout, /# fail 0\b/);
    assert.doesNotMatch(stdout + stderr, /ran without a server/);
  });

  it('fails the run, naming the server, when MARG_REQUIRE_SERVICES=1', async () => {
    const { code, stdout, stderr } = await run({ MARG_REQUIRE_SERVICES: '1' });
    assert.notEqual(code, 0);
    assert.match(stdout + stderr, /Redis is required \(MARG_REQUIRE_SERVICES=1\) but unavailable: no server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    assert.doesNotMatch(stdout + stderr, /SKIPPED/);
  });
});
