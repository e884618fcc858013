import assert from 'node:assert/strict';
import { request } from 'node:http';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/platform.ts';

/** One keep-alive GET; resolves with the status, headers, and whether the server closed the socket after it. */
function get(port: number, path: string, host = 'flow.marg.localhost'): Promise<{ status: number; headers: Record<string, unknown>; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => {
        // Node ends the socket right after a response that said `Connection: close`.
        setTimeout(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, closed: req.socket?.destroyed ?? true }), 50);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a web node in a cluster', () => {
  let named: TestServer | undefined;
  let unnamed: TestServer | undefined;
  after(async () => {
    await named?.close();
    await unnamed?.close();
  });

  it('with MARG_NODE_HEADER on, names itself (MARG_NODE_NAME) on every response, errors and refused hosts included', async () => {
    named = await startTestServer({ MARG_NODE_NAME: 'web-7', MARG_NODE_HEADER: 'true' });
    for (const [path, host, status] of [
      ['/health/ready', 'flow.marg.localhost', 200],
      ['/api/me', 'flow.marg.localhost', 401],
      ['/no/such/page', 'links.marg.localhost', 404],
      ['/', 'marg.localhost', 404],
      ['/', 'elsewhere.example', 400],
    ] as const) {
      const answer = await get(named.port, path, host);
      assert.equal(answer.status, status, `${host}${path}`);
      assert.equal(answer.headers['x-marg-node'], 'web-7', `${host}${path}`);
    }
  });

  it('sends no node header by default, not even with a node name: no hostname or pid for strangers', async () => {
    unnamed = await startTestServer({ MARG_NODE_NAME: 'web-8' });
    for (const path of ['/health/live', '/health', '/api/me']) {
      const answer = await get(unnamed.port, path);
      assert.equal(answer.headers['x-marg-node'], undefined, path);
      assert.doesNotMatch(JSON.stringify(answer.headers), new RegExp(`${hostname()}|:${process.pid}\\b`), path);
    }
  });

  it('refuses MARG_NODE_HEADER without MARG_NODE_NAME (the header gives the name, never hostname:pid)', async () => {
    await assert.rejects(startTestServer({ MARG_NODE_HEADER: 'true' }), /MARG_NODE_HEADER: needs MARG_NODE_NAME/);
  });

  it('keeps connections alive while serving, and closes each after its response once draining', async () => {
    const server = named!;
    const live = await get(server.port, '/health/live');
    assert.equal(live.closed, false, 'a keep-alive connection stays open');
    assert.notEqual(live.headers.connection, 'close');
    server.web.lifecycle.startDraining();
    const ready = await get(server.port, '/health/ready');
    assert.equal(ready.status, 503);
    const served = await get(server.port, '/health/live');
    assert.equal(served.status, 200, 'a draining node still serves');
    assert.equal(served.headers.connection, 'close');
    assert.equal(served.closed, true, 'and closes the connection after the response');
  });
});
