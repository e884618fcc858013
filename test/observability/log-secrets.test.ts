import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error -- plain JS (run by scripts/run-tests.js before any TypeScript loader), no types.
import { checkLogCapture } from '../../scripts/check-log-secrets.js';
import { createLogger } from '../../src/observability/logger.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';

interface CheckResult {
  readonly lines: number;
  readonly secrets: number;
  readonly leaks: { file: string; line: number; what: string }[];
}
const check = checkLogCapture as (folder: string) => CheckResult;

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly reqId?: string;
  readonly [key: string]: unknown;
}

describe('the log secrets check (scripts/check-log-secrets.js) catches what it must', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'marg-log-check-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const capture = (log: string[], secrets: string[]) => {
    rmSync(folder, { recursive: true, force: true });
    folder = mkdtempSync(join(tmpdir(), 'marg-log-check-'));
    writeFileSync(join(folder, '1.log'), `${log.join('\n')}\n`);
    writeFileSync(join(folder, '1.secrets'), secrets.map((s) => `${JSON.stringify(s)}\n`).join(''));
    return check(folder);
  };

  it('passes clean, redacted lines', () => {
    const result = capture(['{"level":30,"msg":"request","status":200,"password":"[redacted]","cookie":"[redacted]"}'], ['s3cret-session-id-value']);
    assert.deepEqual(result.leaks, []);
    assert.equal(result.lines, 1);
    assert.equal(result.secrets, 1);
  });

  it('finds a recorded secret anywhere in a line, also JSON-escaped, and never prints it', () => {
    const quoted = 'pass"with\\quotes';
    const result = capture(
      ['{"level":30,"msg":"ok"}', '{"level":30,"msg":"signed in with s3cret-session-id-value"}', `{"msg":${JSON.stringify(`typed ${quoted}`)}}`],
      ['s3cret-session-id-value', quoted],
    );
    assert.deepEqual(result.leaks.map((l) => [l.line, l.what]), [
      [2, 'recorded secret s3…(23 chars)'],
      [3, 'recorded secret pa…(16 chars)'],
    ]);
  });

  it('finds credentials by their shape whatever their value: APP_KEY, session cookie, password, cookie and authorization fields', () => {
    const key = `base64:${Buffer.alloc(32, 7).toString('base64')}`;
    const result = capture(
      [
        `{"msg":"key ${key}"}`,
        '{"msg":"header marg_session=abcdefghijklmnopqrstu"}',
        '{"password":"hunter22"}',
        '{"headers":{"cookie":"a=b"}}',
        '{"Authorization":"Bearer x"}',
      ],
      [],
    );
    assert.deepEqual(result.leaks.map((l) => l.what), ['an APP_KEY', 'a session cookie', 'a password field', 'a cookie field', 'an authorization field']);
  });
});

describe('no password, session id, cookie or APP_KEY in what a realistic flow logs at debug level', () => {
  let server: TestServer;
  let adminId = 0;
  const lines: string[] = [];
  const secrets = new Set<string>();
  const WRONG_PASSWORD = 'Wrong-but-still-secret-9f3a';
  const BEARER = 'Bearer tok_4be2c1d6e0f9a8b7';

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'debug' }, { worker: true, log: { write: (line: string) => void lines.push(line) } });
    secrets.add(TEST_PASSWORD).add(WRONG_PASSWORD).add(BEARER).add(server.config.appKey!);
    const admin = await server.createUser({ roles: [{ app: 'accounts', role: 'admin' }, { app: 'flow', role: 'editor' }, { app: 'links', role: 'editor' }] });
    adminId = admin.id;
    const noteCookies = (client: HostClient) => {
      for (const name of ['marg_session', 'XSRF-TOKEN']) {
        const value = client.cookie(name);
        if (value) secrets.add(value);
      }
    };

    const browser = server.client();
    // A failed sign-in (JSON and form), then a good one.
    assert.equal((await browser.post('flow', '/api/session', { json: { email: admin.email, password: WRONG_PASSWORD } })).status, 401);
    const form = await browser.post('accounts', '/signin', { form: { email: admin.email, password: WRONG_PASSWORD } });
    assert.ok(form.status < 500);
    await browser.signIn('flow', admin.email, TEST_PASSWORD);
    noteCookies(browser);
    const cookieHeader = `marg_session=${browser.cookie('marg_session')}; XSRF-TOKEN=${browser.cookie('XSRF-TOKEN')}`;
    secrets.add(cookieHeader);
    // API work with cookie, CSRF and Authorization headers; an error; a job; a redirect.
    // A bearer token that is no API token: refused (401), and its value never logged.
    assert.equal((await browser.get('flow', '/api/me', { headers: { authorization: BEARER } })).status, 401);
    assert.equal((await browser.get('flow', '/api/me')).status, 200);
    assert.equal((await browser.post('flow', '/api/tasks', { json: { title: 'Log me' } })).status, 201);
    assert.equal((await browser.post('flow', '/api/tasks', { json: { title: 'No token' }, csrf: false })).status, 403);
    assert.equal((await browser.post('links', '/api/links', { json: { url: 'https://example.com/x', slug: 'logged' } })).status, 201);
    assert.equal((await server.client().get('links', '/logged')).status, 302);
    // A user created (and a password set) through the admin API.
    const created = await browser.post('accounts', '/api/users', { json: { email: `new-${process.pid}@example.test`, name: 'New', password: 'Another-secret-password-77' } });
    assert.ok(created.status === 201 || created.status === 200, created.text);
    secrets.add('Another-secret-password-77');
    // A forged session cookie, then signing out.
    const forged = server.client();
    await forged.jar.setCookie('marg_session=forgedforgedforgedforgedforgedforgedforged12; Domain=marg.localhost; Path=/', forged.url('flow', '/'));
    secrets.add('forgedforgedforgedforgedforgedforgedforged12');
    assert.equal((await forged.get('flow', '/api/me')).status, 401);
    assert.equal((await browser.delete('flow', '/api/session')).status, 204);
    // Wait for the click job, so the worker's lines are in too.
    await until(() => lines.some((l) => l.includes('"job completed"')), 10_000);
  });
  after(() => server?.close());

  it('logged every request as one JSON line with its request id, app, route, user, status and duration', () => {
    const parsed = lines.map((l) => JSON.parse(l) as LogLine);
    const requests = parsed.filter((l) => l.msg === 'request');
    assert.ok(requests.length >= 11, `request lines: ${requests.length}`);
    for (const line of requests) {
      assert.match(String(line.reqId), /^[0-9a-f-]{36}$/);
      assert.equal(typeof line.status, 'number');
      assert.equal(typeof line.ms, 'number');
      assert.equal(typeof line.method, 'string');
      assert.equal(typeof line.app, 'string');
      assert.equal(typeof line.route, 'string');
    }
    // A signed-in API call names its user and its route pattern (never the raw URL's ids).
    const created = requests.find((l) => l.method === 'POST' && l.app === 'flow' && l.route === '/api/tasks' && l.status === 201);
    assert.ok(created, JSON.stringify(requests.filter((l) => l.app === 'flow')));
    assert.equal(created.userId, adminId);
    const redirect = requests.find((l) => l.app === 'links' && l.route === '/:slug' && l.status === 302);
    assert.ok(redirect, 'the public redirect is logged with its route pattern');
    assert.equal(redirect.userId, undefined, 'a signed-out request names no user');
    assert.ok(parsed.some((l) => l.level === 20), 'debug lines are in (the most there is to leak)');
  });

  it('logged none of the passwords, session ids, cookies, tokens or the APP_KEY', () => {
    assert.ok(lines.length > 0);
    for (const secret of secrets) {
      const hits = lines.filter((l) => l.includes(secret) || l.includes(JSON.stringify(secret).slice(1, -1)));
      assert.deepEqual(hits, [], `a secret (${secret.slice(0, 3)}…) was logged`);
    }
    for (const line of lines) assert.doesNotMatch(line, /base64:[A-Za-z0-9+/]{43}=|marg_session=|"authorization":"(?!\[redacted\])/i);
  });

  it('redacts credentials that code puts into a log line by mistake', () => {
    const out: string[] = [];
    const logger = createLogger({ logLevel: 'debug' }, { destination: { write: (l: string) => void out.push(l) } });
    const appKey = server.config.appKey!;
    logger.info({ password: TEST_PASSWORD, user: { password: TEST_PASSWORD }, appKey, config: { appKey, APP_KEY: appKey }, headers: { cookie: 'marg_session=abc', authorization: BEARER }, cookie: 'x=1', sessionId: 'sid-123456789' }, 'oops');
    assert.equal(out.length, 1);
    for (const secret of [TEST_PASSWORD, appKey, 'marg_session=abc', BEARER, 'sid-123456789']) assert.ok(!out[0]!.includes(secret), out[0]);
  });
});
