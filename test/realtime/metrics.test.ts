import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registry } from '../../src/observability/metrics.ts';
import { next, pusherClient, realtimeEnv, startNode, type RealtimeNode } from './support.ts';

async function metric(name: string): Promise<number> {
  const found = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return found.reduce((sum, v) => sum + v.value, 0);
}

/** How many deliveries the histogram counted. */
async function deliveries(): Promise<number> {
  const values = (await registry.getSingleMetric('marg_realtime_delivery_seconds')!.get()).values as { metricName?: string; value: number }[];
  return values.find((v) => v.metricName === 'marg_realtime_delivery_seconds_count')?.value ?? 0;
}

describe('realtime metrics and /health on the realtime role', () => {
  let node: RealtimeNode;
  before(async () => {
    node = await startNode(realtimeEnv({ BROADCAST_CONNECTION: 'memory' }));
  });
  after(async () => node?.stop());

  it('counts connections, subscriptions, messages in and out, and delivery latency', async () => {
    const before = { in: await metric('marg_realtime_messages_received_total'), out: await metric('marg_realtime_messages_sent_total'), latency: await deliveries() };
    const pusher = pusherClient(node.port);
    try {
      const channel = pusher.subscribe('metered');
      await next((r) => channel.bind('pusher:subscription_succeeded', r));
      assert.equal(await metric('marg_realtime_connections'), 1);
      assert.equal(await metric('marg_realtime_subscriptions'), 1);
      const got = next((r) => channel.bind('tick', r));
      await node.platform.services.broadcast.publish({ channel: 'metered', event: 'tick', data: '{}', sentAt: Date.now() });
      await got;
      assert.ok((await metric('marg_realtime_messages_received_total')) > before.in, 'messages in');
      // connection_established, subscription_succeeded, tick
      assert.ok((await metric('marg_realtime_messages_sent_total')) >= before.out + 3, 'messages out');
      assert.equal(await deliveries(), before.latency + 1);
      const health = await fetch(`http://127.0.0.1:${node.port}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'healthy', broadcast: 'healthy', connections: 1 });
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/health/ready`)).status, 200);
    } finally {
      pusher.disconnect();
    }
  });
});
