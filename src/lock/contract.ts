/**
 * Named mutual-exclusion locks with an expiry, held by an owner token (Laravel's
 * `Cache::lock`). Exclusive across every process that shares the store.
 */
export interface LockStore {
  readonly driver: string;
  /** True when `owner` now holds `name` for `ttlMs`; false when someone else holds it. */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Makes the lock expire `ttlMs` from now (sooner or later than before), only while `owner`
   * still holds it unexpired; true when it did. Unlike `acquire` it never takes a free or
   * expired lock: a holder that let its lock lapse has lost it, even if no one took it since.
   */
  extend(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases only if `owner` still holds it; true when it did. */
  release(name: string, owner: string): Promise<boolean>;
  close(): Promise<void>;
}
