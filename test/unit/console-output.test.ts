import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { firstRunCredentialsPath, forgetFirstRunCredentials, writeFirstRunCredentials } from '../../src/support/first-run-credentials.ts';

describe('console output', () => {
  it('in a terminal, a request is one line: method, host and path, status, duration, user', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const logger = createLogger({ logLevel: 'info' }, { pretty: true, destination: out });
    logger.child({ reqId: 'abc' }).info({ method: 'GET', url: '/api/tasks?x=1', host: 'flow.marg.localhost:8080', app: 'flow', route: '/api/tasks', userId: 7, status: 200, ms: 3.1 }, 'request');
    logger.warn({ queue: 'default' }, 'queue backlog');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 2, text);
    assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\] INFO: GET flow\.marg\.localhost:8080\/api\/tasks\?x=1 200 3\.1 ms user 7$/);
    assert.doesNotMatch(lines[0]!, /reqId|route|\{/);
    assert.match(lines[1]!, /WARN: queue backlog \{"queue":"default"\}$/);
  });

  it('elsewhere, JSON lines as before', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    createLogger({ logLevel: 'info' }, { destination: out }).info({ method: 'GET', status: 200 }, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    const entry = JSON.parse(text.trim()) as Record<string, unknown>;
    assert.equal(entry.msg, 'request');
    assert.equal(entry.status, 200);
  });

  it('keeps the first-run credentials in an owner-only file until that user signs in', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'marg-first-run-'));
    try {
      const path = await writeFirstRunCredentials(storage, { email: 'admin@marg.localhost', password: 'pw-123' }, ['  Flow http://flow.marg.localhost:8080/']);
      assert.equal(path, firstRunCredentialsPath(storage));
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(readFileSync(path, 'utf8'), /email: {4}admin@marg\.localhost\npassword: pw-123/);
      await writeFirstRunCredentials(storage, { email: 'admin@marg.localhost', password: 'pw-456' }, []);
      assert.equal(statSync(path).mode & 0o777, 0o600, 'rewritten with the same mode');
      assert.equal(await forgetFirstRunCredentials(storage, 'someone@marg.localhost'), false);
      assert.ok(existsSync(path), 'another user signing in leaves it');
      assert.equal(await forgetFirstRunCredentials(storage, 'admin@marg.localhost'), true);
      assert.ok(!existsSync(path));
      assert.equal(await forgetFirstRunCredentials(storage, 'admin@marg.localhost'), false, 'nothing left to remove');
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  });
});
