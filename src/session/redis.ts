import type { Redis } from 'ioredis';
import type { SessionRecord, SessionStore } from './contract.ts';

/** Sessions on Redis, expired by Redis itself: what lets any web node serve any user. */
export class RedisSessionStore implements SessionStore {
  readonly driver = 'redis';

  constructor(private readonly client: Redis, private readonly keyPrefix: string) {}

  async read(id: string): Promise<string | undefined> {
    return (await this.client.get(this.#key(id))) ?? undefined;
  }

  async readRecord(id: string): Promise<SessionRecord | undefined> {
    // One round trip: the value and how long Redis keeps it.
    const [[readError, payload] = [null, null], [ttlError, pttl] = [null, -2]] = (await this.client.pipeline().get(this.#key(id)).pttl(this.#key(id)).exec()) ?? [];
    if (readError) throw readError;
    if (ttlError) throw ttlError;
    if (typeof payload !== 'string') return undefined;
    // -1: no expiry (written by something else); -2: it expired between the two commands.
    const ms = Number(pttl);
    return { payload, expiresAt: ms === -1 ? Number.POSITIVE_INFINITY : Date.now() + Math.max(0, ms) };
  }

  async write(id: string, payload: string, ttlSeconds: number, userId?: number): Promise<void> {
    if (userId === undefined) {
      await this.client.set(this.#key(id), payload, 'EX', ttlSeconds);
      return;
    }
    // The user's index (a set of ids) lives as long as its longest-lived record; ids whose
    // record has gone (destroyed or expired) are dropped from it when it is read.
    const index = this.#userKey(userId);
    await this.client
      .multi()
      .set(this.#key(id), payload, 'EX', ttlSeconds)
      .sadd(index, id)
      .expire(index, ttlSeconds, 'GT')
      .expire(index, ttlSeconds, 'NX')
      .exec();
  }

  async destroy(id: string): Promise<void> {
    await this.client.del(this.#key(id));
  }

  async idsOf(userId: number): Promise<string[]> {
    const index = this.#userKey(userId);
    const ids = await this.client.smembers(index);
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.exists(this.#key(id));
    const results = (await pipeline.exec()) ?? [];
    const live = ids.filter((_, i) => results[i]?.[1] === 1);
    const gone = ids.filter((_, i) => results[i]?.[1] === 0);
    if (gone.length > 0) await this.client.srem(index, ...gone);
    return live;
  }

  async destroyOf(userId: number, exceptId?: string): Promise<number> {
    const ids = (await this.client.smembers(this.#userKey(userId))).filter((id) => id !== exceptId);
    if (ids.length === 0) return 0;
    const [[, removed] = [null, 0]] = (await this.client.multi().del(...ids.map((id) => this.#key(id))).srem(this.#userKey(userId), ...ids).exec()) ?? [];
    return Number(removed);
  }

  async prune(): Promise<number> {
    return 0;
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {}

  #userKey(userId: number): string {
    return `${this.keyPrefix}session_user:${userId}`;
  }

  #key(id: string): string {
    return `${this.keyPrefix}session:${id}`;
  }
}
