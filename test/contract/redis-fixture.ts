import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisConnections } from '../../src/redis/connection.ts';
import type { RedisSettings } from '../../src/redis/settings.ts';
import { requireService, type ServiceStatus } from '../support/services.ts';

// The shared local/CI Redis (test/support/services.ts decides skip or fail when it is absent).
const HOST = '127.0.0.1';
const PORT = 6379;

/** Settings as config.ts builds them for REDIS_HOST/REDIS_PORT, so the drivers run on the production client options. */
export function redisSettings(overrides: Partial<RedisSettings> = {}): RedisSettings {
  return {
    host: HOST,
    port: PORT,
    username: undefined,
    password: undefined,
    db: 0,
    tls: false,
    prefix: uniqueRedisPrefix(),
    sentinels: [],
    sentinelService: undefined,
    sentinelPassword: undefined,
    ...overrides,
  };
}

/** `marg_test_<random>_`: every key a test writes sits under it, so cleanup touches nothing else. */
export function uniqueRedisPrefix(): string {
  return `marg_test_${randomBytes(6).toString('hex')}_`;
}

/** Probes the shared Redis with a real PING (a port that merely accepts TCP is not enough). */
export function redisService(): Promise<ServiceStatus> {
  return requireService('Redis', () => pingRedis(redisSettings()), { target: `${HOST}:${PORT}` });
}

/** One PING on a throwaway connection that neither retries nor queues. */
export async function pingRedis(settings: RedisSettings): Promise<void> {
  const client = new RedisConnections(settings).duplicate({ lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's error (ECONNREFUSED) says more in the SKIPPED line than ioredis's "Connection is closed".
  let failure: Error | undefined;
  client.on('error', (error: Error) => (failure ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw failure ?? error;
  } finally {
    client.disconnect();
  }
}

/** Two separate connections to the same Redis (what two web nodes have), under one fresh key prefix. */
export interface RedisPair {
  readonly prefix: string;
  readonly first: Redis;
  readonly second: Redis;
  /** Deletes every key under the prefix, then closes both connections. */
  close(): Promise<void>;
}

/**
 * Resolves once both connections answer: the contract's timelines (TTL waits) start after
 * setup, so the connect must not be paid inside them by the first command.
 */
export async function openRedisPair(): Promise<RedisPair> {
  const settings = redisSettings();
  const [one, two] = [new RedisConnections(settings), new RedisConnections(settings)];
  try {
    await Promise.all([one.ready(), two.ready()]);
  } catch (error) {
    await Promise.all([one.close(), two.close()]);
    throw error;
  }
  return {
    prefix: settings.prefix,
    first: one.client,
    second: two.client,
    async close() {
      try {
        await deleteKeys(one.client, settings.prefix);
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    },
  };
}

/** SCAN MATCH prefix* + DEL: never KEYS, and never a key outside the prefix. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  return keys.length > 0 ? client.del(...keys) : 0;
}

/** Every key under the prefix, sorted (cleanup, and tests that check what was written where). */
export function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  return scanKeys(client, `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
}

/** Every key matching a glob `pattern`, sorted: SCAN, never KEYS (which blocks a shared server). */
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    for (const key of keys) found.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...found].sort();
}
