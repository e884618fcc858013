import type { JsonValue } from '../support/json.ts';

/**
 * A key-value cache with expiry (Laravel's `Store`). Keys arrive already prefixed by the
 * repository; values are JSON and come back as copies. A TTL of 0 or undefined means
 * "keep until evicted or deleted".
 */
export interface CacheStore {
  readonly driver: string;
  get(key: string): Promise<JsonValue | undefined>;
  getMany(keys: readonly string[]): Promise<(JsonValue | undefined)[]>;
  set(key: string, value: JsonValue, ttlSeconds?: number): Promise<void>;
  /** Stores only when the key is absent (or expired); true when it stored. */
  add(key: string, value: JsonValue, ttlSeconds?: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /** Atomic across connections; a new key starts at 0 and takes the TTL. */
  increment(key: string, by?: number, ttlSeconds?: number): Promise<number>;
  /** Removes every key this store holds under its prefix. */
  flush(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
