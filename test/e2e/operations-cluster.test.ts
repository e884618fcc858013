import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateAppKey } from '../../src/config/app-key.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { RedisConnections } from '../../src/redis/connection.ts';
import { deleteKeys, redisService, redisSettings, uniqueRedisPrefix } from '../contract/redis-fixture.ts';
import { HostClient } from '../support/client.ts';
import { startServe, type ServeNode } from '../support/serve-node.ts';
import { cleanupCli, migratedProject } from '../support/cli.ts';
import { awayFromWindowEnd } from '../http/rate-limit-window.ts';
import { assertMaintenance, DOMAIN, pageStatus, propagation, PROPAGATION_BOUND_MS } from './maintenance-helpers.ts';


const redis = await redisService();

describe('two `marg serve` nodes sharing Redis', { skip: redis.skipReason }, () => {
  const prefix = uniqueRedisPrefix();
  const secret = `bypass-${prefix.slice(-13, -1)}`;
  const appKey = generateAppKey();
  const env: RawEnv = {
    APP_KEY: appKey,
    SESSION_DRIVER: 'redis',
    CACHE_STORE: 'redis',
    RATE_LIMIT_STORE: 'redis',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: '6379',
    REDIS_PREFIX: prefix,
    API_RATE_LIMIT: '10',
    SIGNIN_RATE_LIMIT: '0',
    MARG_DOMAIN: DOMAIN,
  };
  let dir: string;
  let nodes: ServeNode[] = [];
  let a: HostClient;
  let b: HostClient;

  before(async () => {
    // One machine's shared SQLite databases, migrated first (as `marg migrate` before `serve`).
    dir = await migratedProject();
    nodes = await Promise.all([startServe('a', dir, env), startServe('b', dir, env)]);
    a = new HostClient(nodes[0]!.port, DOMAIN);
    b = new HostClient(nodes[1]!.port, DOMAIN);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await cleanupCli();
    const connections = new RedisConnections(redisSettings({ prefix }));
    try {
      await deleteKeys(connections.client, prefix);
    } finally {
      await connections.close();
    }
  });

  it('shares the API limit: requests alternating between the nodes get 429 after 10 in all', async () => {
    await awayFromWindowEnd();
    for (let i = 1; i <= 10; i++) {
      const response = await (i % 2 ? a : b).get('flow', '/api/me');
      assert.equal(response.status, 401, `request ${i} on ${i % 2 ? 'a' : 'b'}`);
      assert.equal(response.headers['ratelimit-remaining'], String(10 - i), `request ${i}`);
    }
    for (const [name, client] of [['a', a], ['b', b]] as const) {
      const refused = await client.get('flow', '/api/me');
      assert.equal(refused.status, 429, `node ${name}: ${refused.text}`);
      assert.ok(Number(refused.headers['retry-after']) >= 1);
    }
    // A session made on one node is good on the other, with its own counter.
    const other = new HostClient(a.port, DOMAIN);
    assert.equal((await other.get('links', '/api/me')).status, 401, 'links has its own counter');
  });

  it('`marg down` with one node\'s configuration takes effect on the other node; the secret passes on both; `marg up` lifts it', async (t) => {
    const [onA, onB] = await propagation(['down', '--retry', '30', '--secret', secret], dir, env, [a, b], 503);
    t.diagnostic(`down: node a answered 503 ${Math.round(onA!)} ms, node b ${Math.round(onB!)} ms after the command exited (both busy)`);
    assert.ok(onA! < PROPAGATION_BOUND_MS && onB! < PROPAGATION_BOUND_MS, `a ${Math.round(onA!)} ms, b ${Math.round(onB!)} ms`);

    for (const client of [a, b]) {
      assertMaintenance(await client.get('flow', '/api/tasks', { allowServerError: true }), `api on ${client.port}`);
      assertMaintenance(await client.get('links', '/', { headers: { accept: 'text/html' }, allowServerError: true }), `page on ${client.port}`);
      assert.equal((await client.get('flow', '/health/live')).status, 200);
      assert.equal((await client.get('flow', '/health/ready')).status, 200, 'ready stays 200: the balancer keeps the node');
      assert.equal((await client.get('flow', '/health')).status, 200);
    }

    // The secret on node b sets a cookie that node a honours (same APP_KEY, same maintenance window).
    const browser = new HostClient(b.port, DOMAIN);
    const visit = await browser.get('accounts', `/${secret}`, { headers: { accept: 'text/html' }, allowServerError: true });
    assert.equal(visit.status, 302, visit.text);
    const bypass = browser.cookie('marg_maintenance');
    assert.ok(bypass);
    const onNodeA = new HostClient(a.port, DOMAIN);
    onNodeA.jar.setCookieSync(`marg_maintenance=${bypass}; Domain=.${DOMAIN}; Path=/`, onNodeA.url('flow', '/'));
    assert.equal((await pageStatus(onNodeA)), 302, 'through on node a: the sign-in redirect, not the 503');

    const [upA, upB] = await propagation(['up'], dir, env, [a, b], 302);
    t.diagnostic(`up: node a serving ${Math.round(upA!)} ms, node b ${Math.round(upB!)} ms after the command exited`);
    assert.ok(upA! < PROPAGATION_BOUND_MS && upB! < PROPAGATION_BOUND_MS, `a ${Math.round(upA!)} ms, b ${Math.round(upB!)} ms`);
  });

  it('logged neither the bypass secret nor APP_KEY', () => {
    const logs = nodes.map((n) => n.output()).join('\n');
    assert.match(logs, /"url":"\/\[maintenance secret\]"/, 'the bypass request was logged, without its URL');
    assert.ok(!logs.includes(secret), 'the secret is in a log line');
    assert.ok(!logs.includes(appKey.slice('base64:'.length)), 'APP_KEY is in a log line');
  });
});
