import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

/**
 * The allowed-host rule (src/http/hosts.ts): only `<app>.<MARG_DOMAIN>[:port]`, the bare domain
 * and MARG_HOST_ALIASES are served; every URL the server writes comes from configuration.
 */
describe('Host header injection', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ MARG_HOST_ALIASES: 'Marg-Alias.test' });
  });
  after(() => server.close());

  // The outside probe's exact case first, then the port-injection and look-alike variants.
  const injected = (port: number) => [
    'flow.marg.localhost:@evil.example',
    'flow.marg.localhost:80@evil.example',
    `flow.marg.localhost:${port}@evil.example`,
    'flow.marg.localhost:@evil.example:80',
    'evil.example',
    `evil.example:${port}`,
    'flow.marg.localhost.evil.example',
    `flow.marg.localhost.evil.example:${port}`,
    'flow.marg.localhost.',
    `flow.marg.localhost.:${port}`,
    'flow.marg.localhost:99999',
    'flow.marg.localhost:0',
    'flow.marg.localhost:8080:9090',
    'flow.marg.localhost:http',
    'user@flow.marg.localhost',
    'nope.marg.localhost',
    '127.0.0.1',
    `[::1]:${port}`,
  ];

  /** Nothing of the injected host in the status line's headers or the body. */
  function assertNoEcho(response: TestResponse, host: string): void {
    const everything = `${JSON.stringify(response.headers)}\n${response.text}`;
    assert.doesNotMatch(everything, /evil/i, host);
  }

  it('refuses the probe: `Host: flow.marg.localhost:@evil.example` gets a 400, not a redirect to evil.example', async () => {
    const client = server.client();
    const page = await client.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, 'flow.marg.localhost:@evil.example');
    assert.equal(page.status, 400, page.text);
    assert.equal(page.headers.location, undefined);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assertNoEcho(page, 'probe');
    const api = await client.request('GET', 'flow', '/api/tasks', { headers: { accept: 'application/json' } }, 'flow.marg.localhost:@evil.example');
    assert.equal(api.status, 400);
    assert.equal(api.json().error.code, 'invalid_host');
  });

  it('refuses every host that is not an app host, the domain or an alias, as JSON or as a page, assets included', async () => {
    const client = server.client();
    for (const host of injected(server.port)) {
      const json = await client.request('GET', 'flow', '/api/tasks', { headers: { accept: 'application/json' } }, host);
      assert.equal(json.status, 400, host);
      assert.equal(json.json().error.code, 'invalid_host', host);
      assertNoEcho(json, host);
      const page = await client.request('GET', 'flow', '/signin', { headers: { accept: 'text/html' } }, host);
      assert.equal(page.status, 400, host);
      assertNoEcho(page, host);
      const asset = await client.request('GET', 'flow', '/assets/app.css', {}, host);
      assert.equal(asset.status, 400, `${host} /assets`);
    }
  });

  it('serves an app host in upper case, and builds the sign-in redirect from MARG_DOMAIN, lower case', async () => {
    const client = server.client();
    const page = await client.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, `FLOW.Marg.LOCALHOST:${server.port}`);
    assert.equal(page.status, 302, page.text);
    const next = encodeURIComponent(`http://flow.marg.localhost:${server.port}/`);
    assert.equal(page.headers.location, `http://accounts.marg.localhost:${server.port}/signin?next=${next}`);
  });

  it('leaves the default port out of the URLs it builds', async () => {
    const client = server.client();
    const page = await client.request('GET', 'flow', '/', { headers: { accept: 'text/html' } }, 'flow.marg.localhost:80');
    assert.equal(page.status, 302, page.text);
    assert.equal(page.headers.location, `http://accounts.marg.localhost/signin?next=${encodeURIComponent('http://flow.marg.localhost/')}`);
  });

  it("writes the links app's shortUrl from configuration, never from the Host header", async () => {
    const user = await server.createUser({ roles: [{ app: 'links', role: 'editor' }] });
    const client = server.client();
    await client.signIn('links', user.email, TEST_PASSWORD);
    const refused = await client.request('POST', 'links', '/api/links', { json: { url: 'https://example.com/h1', slug: 'host-1' } }, 'links.marg.localhost:@evil.example');
    assert.equal(refused.status, 400);
    assertNoEcho(refused, 'links');
    assert.equal(refused.headers['set-cookie'], undefined, 'a refused request leaves the session alone');
    const created = await client.request('POST', 'links', '/api/links', { json: { url: 'https://example.com/h2', slug: 'host-2' } }, `LINKS.MARG.LOCALHOST:${server.port}`);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().shortUrl, `http://links.marg.localhost:${server.port}/host-2`);
    const page = await client.request('GET', 'links', '/', { headers: { accept: 'text/html' } }, `LINKS.MARG.LOCALHOST:${server.port}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /LINKS\.MARG|MARG\.LOCALHOST/, 'page links are spelled as configured');
    assert.match(page.text, new RegExp(`href="http://accounts\\.marg\\.localhost:${server.port}/"`));
  });

  it('answers the bare domain and an alias with the page listing the app hosts, spelled from configuration', async () => {
    const client = server.client();
    for (const host of [`marg.localhost:${server.port}`, `MARG-ALIAS.test:${server.port}`]) {
      const json = await client.request('GET', 'flow', '/', { headers: { accept: 'application/json' } }, host);
      assert.equal(json.status, 404, host);
      assert.equal(json.json().error.code, 'unknown_host');
      assert.match(json.json().error.message, new RegExp(`http://flow\\.marg\\.localhost:${server.port}/`));
    }
  });

  it('keeps /health, /health/live and /health/ready answering on any host, injected ones included', async () => {
    const client = server.client();
    for (const host of [...injected(server.port), '10.1.2.3', `127.0.0.1:${server.port}`]) {
      const health = await client.request('GET', 'flow', '/health', {}, host);
      assert.equal(health.status, 200, host);
      assert.deepEqual(health.json(), { status: 'healthy' }, host);
      assert.equal((await client.request('GET', 'flow', '/health/live', {}, host)).status, 200, host);
      assert.equal((await client.request('GET', 'flow', '/health/ready', {}, host)).status, 200, host);
    }
  });
});

describe('/health details and the node header', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ METRICS_PORT: '0' });
  });
  after(() => server.close());

  it('says only the status on the app port; no hostname, pid, uptime or drivers for strangers', async () => {
    const health = await server.client().get('flow', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: 'healthy' });
    assert.equal(health.headers['x-marg-node'], undefined, 'no node header unless MARG_NODE_HEADER is on');
  });

  it('gives the details on the internal metrics port', async () => {
    const response = await fetch(`http://127.0.0.1:${server.web.metrics!.port}/health`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.status, 'healthy');
    assert.equal(body.database, 'healthy');
    assert.equal(body.pid, process.pid);
    assert.equal(typeof body.node, 'string');
    assert.equal(typeof body.uptimeSeconds, 'number');
    assert.deepEqual(Object.keys(body.databases as object).sort(), ['accounts', 'flow', 'links', 'platform', 'rbac']);
    assert.equal(typeof (body.drivers as { cache: unknown }).cache, 'string');
  });
});
