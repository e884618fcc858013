import type { JsonValue } from '../support/json.ts';
import { cacheHits, cacheMisses } from '../observability/metrics.ts';
import type { CacheStore } from './contract.ts';

/** What apps use (Laravel's `Repository`): a store behind a key prefix, plus `remember`. */
export class Cache {
  // Private: what callers need of the store (driver, ping, close) is passed through below.
  readonly #store: CacheStore;
  // Hit/miss counters (marg_cache_*_total{store}), bound once: reads are the hot path.
  readonly #hits;
  readonly #misses;

  constructor(store: CacheStore, private readonly prefix: string) {
    this.#store = store;
    this.#hits = cacheHits.labels(store.driver);
    this.#misses = cacheMisses.labels(store.driver);
  }

  get driver(): string {
    return this.#store.driver;
  }

  key(key: string): string {
    return `${this.prefix}:${key}`;
  }

  async get(key: string): Promise<JsonValue | undefined> {
    const value = await this.#store.get(this.key(key));
    (value === undefined ? this.#misses : this.#hits).inc();
    return value;
  }

  async getMany(keys: readonly string[]): Promise<(JsonValue | undefined)[]> {
    const values = await this.#store.getMany(keys.map((k) => this.key(k)));
    let hits = 0;
    for (const value of values) if (value !== undefined) hits += 1;
    if (hits > 0) this.#hits.inc(hits);
    if (values.length > hits) this.#misses.inc(values.length - hits);
    return values;
  }

  set(key: string, value: JsonValue, ttlSeconds?: number): Promise<void> {
    return this.#store.set(this.key(key), value, ttlSeconds);
  }

  add(key: string, value: JsonValue, ttlSeconds?: number): Promise<boolean> {
    return this.#store.add(this.key(key), value, ttlSeconds);
  }

  delete(key: string): Promise<boolean> {
    return this.#store.delete(this.key(key));
  }

  increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    return this.#store.increment(this.key(key), by, ttlSeconds);
  }

  /** Returns the cached value, or computes, stores and returns it. */
  async remember<T extends JsonValue>(key: string, ttlSeconds: number, compute: () => Promise<T>): Promise<T> {
    const cached = await this.get(key);
    if (cached !== undefined) return cached as T;
    const value = await compute();
    await this.set(key, value, ttlSeconds);
    return value;
  }

  flush(): Promise<void> {
    return this.#store.flush();
  }

  ping(): Promise<void> {
    return this.#store.ping();
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
