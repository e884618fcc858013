import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RedisConnections } from '../../src/redis/connection.ts';
import type { ChannelEvent } from '../../src/realtime/contract.ts';
import { MemoryBroadcast } from '../../src/realtime/memory.ts';
import { RedisBroadcast } from '../../src/realtime/redis.ts';
import { describeBroadcastContract } from './broadcast.contract.ts';
import { deleteKeys, redisService, redisSettings } from './redis-fixture.ts';

const redis = await redisService();

describeBroadcastContract('memory', async () => {
  const port = new MemoryBroadcast();
  return { first: port, second: port, listening: async () => {}, close: () => port.close() };
});

/** Two nodes as the manager builds them: one Redis connection each, a subscriber each, one key prefix. */
async function redisNodes(nodeTimeoutMs = 9000) {
  const settings = redisSettings();
  const one = new RedisConnections(settings);
  const two = new RedisConnections(settings);
  const node = (c: RedisConnections, id: string) =>
    new RedisBroadcast({ client: c.client, subscriber: () => c.duplicate(), prefix: `${settings.prefix}realtime:1:`, nodeId: id, nodeTimeoutMs });
  const first = node(one, 'a');
  const second = node(two, 'b');
  return {
    first,
    second,
    listening: () => Promise.all([first.listening(), second.listening()]).then(() => {}),
    async close() {
      await Promise.all([first.close(), second.close()]);
      await deleteKeys(one.client, settings.prefix);
      await Promise.all([one.close(), two.close()]);
    },
  };
}

describeBroadcastContract('redis', redisNodes, { skip: redis.skipReason });

it('redis: a node that stops beating loses its subscriptions and members within the bound, announced on the live node', { skip: redis.skipReason }, async () => {
  const nodes = await redisNodes(600);
  try {
    const removed: ChannelEvent[] = [];
    nodes.second.onEvent((e) => e.event === 'pusher_internal:member_removed' && removed.push(e));
    await nodes.listening();
    await nodes.first.join({ channel: 'presence-room', socketId: '1.1', member: { userId: '7', userInfo: null } });
    await nodes.second.join({ channel: 'presence-room', socketId: '2.1', member: { userId: '8', userInfo: null } });
    // The first node "dies": its heartbeat stops without a goodbye (what SIGKILL does).
    nodes.first.stopHeartbeatForTest();
    const started = Date.now();
    while (removed.length === 0 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
    const took = Date.now() - started;
    assert.equal(removed.length, 1);
    assert.deepEqual(JSON.parse(removed[0]!.data), { user_id: '7' });
    // Bound: nodeTimeout + nodeTimeout/3 (600 + 200 ms), plus scheduling slack.
    assert.ok(took <= 1200, `took ${took} ms`);
    assert.deepEqual((await nodes.second.members('presence-room')).map((m) => m.userId), ['8']);
    assert.equal((await nodes.second.channel('presence-room')).subscriptionCount, 1);
  } finally {
    await nodes.close();
  }
});
