import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { EVERYTHING } from '../../src/invalidation/contract.ts';
import { RedisInvalidationBus } from '../../src/invalidation/redis.ts';
import { privateRedisAvailable, startRedisServer, type PrivateRedis } from '../support/redis-server.ts';
import { until } from '../support/wait.ts';

const binary = await privateRedisAvailable();

// The steps run in order: subscribed, Redis killed, Redis back on the same port.
describe('the Redis invalidation bus is live only while subscribed', { skip: binary.skipReason }, () => {
  let redis: PrivateRedis | undefined;
  const clients: Redis[] = [];
  let bus: RedisInvalidationBus | undefined;
  const received: string[] = [];
  const open = (port: number) => {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };

  after(async () => {
    await bus?.close();
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  it('delivers other processes’ messages once listening', async () => {
    redis = await startRedisServer();
    const port = redis.port;
    bus = new RedisInvalidationBus(open(port), () => open(port), 'marg_bus_test:');
    bus.subscribe((message) => received.push(message));
    assert.equal(bus.live, false, 'not live before the subscription');
    await bus.listening();
    assert.equal(bus.live, true);
    await open(port).publish('marg_bus_test:invalidate', 'session:abc');
    await until(() => received.includes('session:abc'));
  });

  it('is not live while Redis is gone, and forgets everything once it is back', async () => {
    const port = redis!.port;
    await redis!.kill();
    await until(() => !bus!.live);
    received.length = 0;
    await redis!.stop();
    redis = await startRedisServer({ port });
    await until(() => bus!.live, 20_000);
    assert.ok(received.includes(EVERYTHING), `told its listeners to forget everything: ${received.join(', ')}`);
  });
});
