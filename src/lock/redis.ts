import type { Redis } from 'ioredis';
import type { LockStore } from './contract.ts';

// Take when free, or extend when this owner already holds it.
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
// Only while ours: an expired key reads as absent, so a lapsed lock is not revived.
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
// Delete only when still ours: a lock that expired and was taken by another is left alone.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Locks on one Redis (with Sentinel failover): exclusive across every node. */
export class RedisLockStore implements LockStore {
  readonly driver = 'redis';

  constructor(private readonly client: Redis, private readonly keyPrefix: string) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return Number(await this.client.eval(ACQUIRE, 1, this.#key(name), owner, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async extend(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return Number(await this.client.eval(EXTEND, 1, this.#key(name), owner, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async release(name: string, owner: string): Promise<boolean> {
    return Number(await this.client.eval(RELEASE, 1, this.#key(name), owner)) === 1;
  }

  async close(): Promise<void> {}

  #key(name: string): string {
    return `${this.keyPrefix}lock:${name}`;
  }
}
