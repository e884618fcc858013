import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { RedisQueue } from '../../src/queue/redis.ts';
import { RedisJobSource } from '../../src/queue/redis-source.ts';
import { RedisQueueStore } from '../../src/queue/redis-store.ts';
import { RedisConnections } from '../../src/redis/connection.ts';
import { deleteKeys, redisService, redisSettings } from '../contract/redis-fixture.ts';

const redis = await redisService();

/**
 * A TCP proxy to the local Redis that turns a connection half-open once it sends BZPOPMIN:
 * from then on nothing passes either way and nothing is closed, as when a NAT or a
 * container network forgets a connection without a reset.
 */
async function halfOpeningProxy(): Promise<{ port: number; frozen: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let frozen = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: 6379 });
    let dead = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (!dead && /bzpopmin/i.test(chunk.toString('latin1'))) {
        dead = true;
        frozen += 1;
      }
      if (!dead) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dead) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    frozen: () => frozen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Redis queue: a blocking connection that stops answering', { skip: redis.skipReason }, () => {
  it('is replaced once its wait is overdue, reported, and jobs are taken again', { timeout: 30_000 }, async (t) => {
    const proxy = await halfOpeningProxy();
    const settings = redisSettings({ port: proxy.port });
    const store = new RedisQueueStore(settings, { retryAfterMs: 30_000 });
    const producer = new RedisQueue(store);
    const source = new RedisJobSource(store, { blockGraceMs: 300 });
    const errors: Error[] = [];
    const session = source.open(['default'], { onError: (error) => errors.push(error as Error), onSourceClose: async () => {} });
    t.after(async () => {
      await session.close(true);
      await store.close();
      await proxy.close();
      const cleanup = new RedisConnections(redisSettings({ prefix: settings.prefix }));
      await deleteKeys(cleanup.client, settings.prefix).finally(() => cleanup.close());
    });

    // Every BZPOPMIN's connection goes dead: the wait ends at its timeout plus the grace, not never.
    const started = performance.now();
    await session.waitForJobs(200);
    const waited = performance.now() - started;
    assert.equal(proxy.frozen(), 1);
    assert.ok(waited >= 450 && waited < 5_000, `waited ${Math.round(waited)} ms`);
    assert.match(errors.map((e) => e.message).join('\n'), /blocking Redis connection gave no answer within 500 ms: reconnecting it/);

    // The command connection was never touched: a job dispatched now is taken.
    await producer.dispatch({ name: 'noop', payload: { n: 1 }, queue: 'default', delayMs: 0, tries: 1, backoff: null, timeoutMs: null, uniqueKey: null });
    const [job] = await session.reserve('default', 1);
    assert.equal(job?.name, 'noop');
    await session.complete([job!], false);

    // The new blocking connection is used (and goes dead in turn): the session keeps replacing it.
    await session.waitForJobs(100);
    assert.equal(proxy.frozen(), 2);
  });
});
