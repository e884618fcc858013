import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueRedisPrefix } from '../contract/redis-fixture.ts';
import { healthDetails, startTestServer, type TestServer } from '../support/platform.ts';
import { privateRedisAvailable, startRedisServer, type PrivateRedis } from '../support/redis-server.ts';

const binary = await privateRedisAvailable();

// The health check's own timeout is 2 s; allow for a loaded machine, but not for a hang.
const ANSWER_WITHIN_MS = 5_000;

// The steps run in order: Redis up, Redis stopped, Redis back on the same port.
describe('/health with sessions and cache on a private Redis', { skip: binary.skipReason }, () => {
  let redis: PrivateRedis | undefined;
  let server: TestServer | undefined;
  let port = 0;

  before(async () => {
    redis = await startRedisServer();
    port = redis.port;
    server = await startTestServer({ SESSION_DRIVER: 'redis', CACHE_STORE: 'redis', QUEUE_CONNECTION: 'redis', REDIS_PORT: String(port), REDIS_PREFIX: uniqueRedisPrefix(), METRICS_PORT: '0' });
  });

  after(async () => {
    await server?.close();
    await redis?.stop();
  });

  async function health(): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
    const started = Date.now();
    // The details come from the metrics port; the app port's /health gives the same code and status only.
    const [details, response] = await Promise.all([healthDetails(server!), server!.client().get('flow', '/health', { allowServerError: true })]);
    assert.equal(response.status, details.status);
    assert.deepEqual(response.json(), { status: details.body.status });
    return { status: details.status, body: details.body, ms: Date.now() - started };
  }

  it('is healthy (200) while Redis answers, with every port on Redis', async () => {
    const up = await health();
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.status, 'healthy');
    assert.equal(up.body.redis, 'healthy');
    assert.equal(up.body.cache, 'healthy');
    assert.equal(up.body.session, 'healthy');
    assert.equal(up.body.queue, 'healthy');
    assert.deepEqual(up.body.drivers, {
      database: { accounts: 'sqlite', flow: 'sqlite', links: 'sqlite', rbac: 'sqlite', platform: 'sqlite' },
      cache: 'redis',
      session: 'redis',
      lock: 'redis',
      rateLimit: 'redis',
      queue: 'redis',
      storage: 'local',
      search: 'sqlite',
    });
  });

  it('answers 503 with redis "unhealthy", within a bounded time, once Redis stops; the process keeps serving', async () => {
    await redis!.stop();
    // Twice: right after the drop, and again while the client is reconnecting.
    for (const attempt of ['first', 'second']) {
      const down = await health();
      assert.equal(down.status, 503, `${attempt}: ${JSON.stringify(down.body)}`);
      assert.equal(down.body.status, 'unhealthy');
      assert.equal(down.body.redis, 'unhealthy');
      assert.equal(down.body.cache, 'unhealthy');
      assert.equal(down.body.session, 'unhealthy');
      assert.equal(down.body.queue, 'unhealthy', 'the queue is on that Redis too');
      assert.equal(down.body.database, 'healthy', 'the SQLite databases are fine');
      assert.ok(down.ms < ANSWER_WITHIN_MS, `${attempt} answer took ${down.ms} ms`);
    }
    const live = await server!.client().get('flow', '/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(live.json(), { status: 'alive' });
  });

  it(
    'answers a page that needs the session store during the outage with a clean 503, not internals',
    async () => {
      // /signin starts a session (for its CSRF token), so it must write to the store.
      const page = await server!.client().get('accounts', '/signin', { allowServerError: true });
      assert.equal(page.status, 503, page.text.slice(0, 300));
      assert.doesNotMatch(page.text, /maxRetriesPerRequest|ioredis|ECONNREFUSED/);
    },
  );

  it('is healthy again once Redis is back on the same port', async () => {
    redis = await startRedisServer({ port });
    const deadline = Date.now() + 10_000;
    let back = await health();
    while (back.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      back = await health();
    }
    assert.equal(back.status, 200, `after Redis came back: ${JSON.stringify(back.body)}`);
    assert.equal(back.body.redis, 'healthy');
    assert.equal(back.body.queue, 'healthy');
    // And the drivers work again: a page that writes a session answers.
    assert.equal((await server!.client().get('accounts', '/signin')).status, 200);
  });
});
