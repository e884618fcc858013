import type { LockStore } from './contract.ts';

/** Locks within one process. */
export class MemoryLockStore implements LockStore {
  readonly driver = 'memory';
  readonly #held = new Map<string, { owner: string; expiresAt: number }>();

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.#held.get(name);
    if (current && current.expiresAt > Date.now() && current.owner !== owner) return false;
    this.#held.set(name, { owner, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async extend(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.#held.get(name);
    if (!current || current.owner !== owner || current.expiresAt <= Date.now()) return false;
    current.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async release(name: string, owner: string): Promise<boolean> {
    const current = this.#held.get(name);
    if (!current || current.owner !== owner) return false;
    this.#held.delete(name);
    // An expired lock is no longer held, as with the other drivers.
    return current.expiresAt > Date.now();
  }

  async close(): Promise<void> {
    this.#held.clear();
  }
}
