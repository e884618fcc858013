import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { healthDetails, startTestServer, type TestServer } from '../support/platform.ts';

describe('/health reports the queue', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ QUEUE_BACKLOG_THRESHOLD: '3', METRICS_PORT: '0' });
  });
  after(() => server.close());

  it('says "backlog" once QUEUE_BACKLOG_THRESHOLD jobs are pending, and stays 200: a backlog is no reason to pull a node', async () => {
    // The details are on the metrics port (the app port's /health says only the status).
    const health = async () => (await healthDetails(server)).body as { status: string; queue: string; queueSize: number; drivers: { queue: string } };
    const before = await health();
    assert.equal(before.queue, 'healthy');
    assert.equal(before.queueSize, 0);
    assert.equal(before.drivers.queue, server.config.queue.connection === 'redis' ? 'redis' : 'database');
    // Delayed, so nothing runs them meanwhile.
    for (let i = 0; i < 3; i++) await server.services.queue.dispatch('test.pending', i, { delayMs: 600_000 });
    const after = await health();
    assert.equal(after.queue, 'backlog');
    assert.equal(after.queueSize, 3);
    assert.equal(after.status, 'healthy');
    assert.deepEqual((await server.client().get('flow', '/health')).json(), { status: 'healthy' });
  });
});
