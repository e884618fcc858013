import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';

/**
 * The Redis queue's keys (QUEUE_CONNECTION=redis: BullMQ under `<REDIS_PREFIX>queue:`, and
 * `<REDIS_PREFIX>queues`) as DUMP payloads, one JSON line per key.
 *
 * Why not BGSAVE: the Redis may be shared (other prefixes, other apps), its RDB file lives on
 * the Redis machine where this command may not run, and it would copy sessions and cache
 * that are not durable data. DUMP of our own keys works against any Redis we can reach; the
 * DUMPs run in one MULTI, so the copy is one point in time.
 */
export class RedisQueuePart {
  readonly #pattern: string;

  constructor(private readonly client: Redis, prefix: string) {
    this.#pattern = `${prefix}queue*`;
  }

  async dump(): Promise<Readable> {
    const keys = await this.#keys();
    const transaction = this.client.multi();
    for (const key of keys) transaction.dumpBuffer(key).pttl(key);
    const results = (await transaction.exec()) ?? [];
    const lines: string[] = [];
    keys.forEach((key, i) => {
      const [dumpError, value] = results[2 * i] ?? [];
      const [, ttl] = results[2 * i + 1] ?? [];
      if (dumpError) throw dumpError;
      // Gone between SCAN and MULTI: not part of this point in time.
      if (value === null || value === undefined) return;
      lines.push(`${JSON.stringify({ key, ttl: Number(ttl), value: (value as Buffer).toString('base64') })}\n`);
    });
    return Readable.from(lines.map((l) => Buffer.from(l)));
  }

  async isEmpty(): Promise<boolean> {
    return (await this.#keys()).length === 0;
  }

  /** Deletes our queue keys, then puts back every key of the copy with its remaining time to live. */
  async restore(copy: Readable): Promise<number> {
    const existing = await this.#keys();
    if (existing.length > 0) await this.client.unlink(...existing);
    let count = 0;
    for await (const line of createInterface({ input: copy, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      const { key, ttl, value } = JSON.parse(line) as { key: string; ttl: number; value: string };
      if (!key.startsWith(this.#pattern.slice(0, -1))) throw new Error(`redis part holds a key outside the queue's prefix: ${key}`);
      await this.client.restore(key, ttl > 0 ? ttl : 0, Buffer.from(value, 'base64'), 'REPLACE');
      count++;
    }
    return count;
  }

  async #keys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.client.scan(cursor, 'MATCH', this.#pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return [...new Set(keys)].sort();
  }
}
