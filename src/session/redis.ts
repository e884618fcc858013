import type { Redis } from 'ioredis';
import type { SessionStore } from './contract.ts';

/** Sessions on Redis, expired by Redis itself: what lets any web node serve any user. */
export class RedisSessionStore implements SessionStore {
  readonly driver = 'redis';

  constructor(private readonly client: Redis, private readonly keyPrefix: string) {}

  async read(id: string): Promise<string | undefined> {
    return (await this.client.get(this.#key(id))) ?? undefined;
  }

  async write(id: string, payload: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.#key(id), payload, 'EX', ttlSeconds);
  }

  async destroy(id: string): Promise<void> {
    await this.client.del(this.#key(id));
  }

  async prune(): Promise<number> {
    return 0;
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {}

  #key(id: string): string {
    return `${this.keyPrefix}session:${id}`;
  }
}
