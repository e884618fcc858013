import { LRUCache } from 'lru-cache';
import type { JsonValue } from '../support/json.ts';
import type { CacheStore } from './contract.ts';

/**
 * In-process LRU (per process: a CLI command cannot invalidate a server's entries).
 * Values are kept serialised so callers get copies, as from every other store.
 */
export class MemoryCacheStore implements CacheStore {
  readonly driver = 'memory';
  readonly #lru: LRUCache<string, string>;

  constructor(maxEntries: number) {
    this.#lru = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: false });
  }

  async get(key: string): Promise<JsonValue | undefined> {
    const raw = this.#lru.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as JsonValue);
  }

  async getMany(keys: readonly string[]): Promise<(JsonValue | undefined)[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(key: string, value: JsonValue, ttlSeconds?: number): Promise<void> {
    this.#lru.set(key, JSON.stringify(value), ttlSeconds ? { ttl: ttlSeconds * 1000 } : {});
  }

  async add(key: string, value: JsonValue, ttlSeconds?: number): Promise<boolean> {
    if (this.#lru.has(key)) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    // The LRU reports deleting an expired (stale) entry as a deletion; to callers it was already gone.
    const live = this.#lru.has(key);
    this.#lru.delete(key);
    return live;
  }

  async increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    const current = this.#lru.get(key);
    if (current === undefined) {
      await this.set(key, by, ttlSeconds);
      return by;
    }
    const next = Number(JSON.parse(current)) + by;
    // Keep the remaining TTL: an increment does not extend a window.
    const remaining = this.#lru.getRemainingTTL(key);
    this.#lru.set(key, JSON.stringify(next), Number.isFinite(remaining) && remaining > 0 ? { ttl: remaining } : {});
    return next;
  }

  async flush(): Promise<void> {
    this.#lru.clear();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#lru.clear();
  }
}
