import type { Redis } from 'ioredis';
import type { JsonValue } from '../support/json.ts';
import type { CacheStore } from './contract.ts';

// Creates the key with the TTL when absent, else increments and keeps its TTL: one atomic step.
const INCREMENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
  return tonumber(ARGV[1])
end
return redis.call('INCRBY', KEYS[1], ARGV[1])`;

/** Cache on Redis: shared by every node. `keyPrefix` is REDIS_PREFIX; `flushPrefix` scopes flush(). */
export class RedisCacheStore implements CacheStore {
  readonly driver = 'redis';

  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
    private readonly flushPrefix: string,
  ) {}

  async get(key: string): Promise<JsonValue | undefined> {
    const raw = await this.client.get(this.keyPrefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as JsonValue);
  }

  async getMany(keys: readonly string[]): Promise<(JsonValue | undefined)[]> {
    if (keys.length === 0) return [];
    const raws = await this.client.mget(keys.map((k) => this.keyPrefix + k));
    return raws.map((raw) => (raw === null ? undefined : (JSON.parse(raw) as JsonValue)));
  }

  async set(key: string, value: JsonValue, ttlSeconds?: number): Promise<void> {
    const k = this.keyPrefix + key;
    if (ttlSeconds) await this.client.set(k, JSON.stringify(value), 'EX', ttlSeconds);
    else await this.client.set(k, JSON.stringify(value));
  }

  async add(key: string, value: JsonValue, ttlSeconds?: number): Promise<boolean> {
    const k = this.keyPrefix + key;
    const result = ttlSeconds ? await this.client.set(k, JSON.stringify(value), 'EX', ttlSeconds, 'NX') : await this.client.set(k, JSON.stringify(value), 'NX');
    return result === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.client.del(this.keyPrefix + key)) > 0;
  }

  async increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    return Number(await this.client.eval(INCREMENT, 1, this.keyPrefix + key, by, ttlSeconds ?? 0));
  }

  /** SCAN + UNLINK in batches: never KEYS, which blocks the server. */
  async flush(): Promise<void> {
    const pattern = `${escapeGlob(this.keyPrefix + this.flushPrefix)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await this.client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    // The connection is shared; the Redis registry closes it.
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
