import { randomUUID } from 'node:crypto';
import type { LockStore } from './contract.ts';
import { LockHandle } from './handle.ts';

/** `block()` gave up waiting: someone else held the lock the whole time. */
export class LockTimeoutError extends Error {
  constructor(readonly lockName: string, readonly waitedMs: number) {
    super(`timed out after ${waitedMs} ms waiting for lock "${lockName}"`);
    this.name = 'LockTimeoutError';
  }
}

export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

/** Runs work while holding a named lock; what schedulers and one-time boot steps use. */
export class Locks {
  // Private: callers hold handles, so no one releases a lock by a name and owner they guessed.
  readonly #store: LockStore;

  constructor(store: LockStore) {
    this.#store = store;
  }

  get driver(): string {
    return this.#store.driver;
  }

  /**
   * Takes `name` for `ttlMs`; undefined when someone else holds it. `owner` defaults to a fresh
   * token; pass one to say who holds it (it is what the store records) or to re-take your own.
   */
  async acquire(name: string, ttlMs: number, owner: string = randomUUID()): Promise<LockHandle | undefined> {
    return (await this.#store.acquire(name, owner, ttlMs)) ? new LockHandle(this.#store, name, owner) : undefined;
  }

  /** The handle of a lock taken elsewhere (another process) by `owner` (Laravel's `restoreLock`); it does not check that it is held. */
  restore(name: string, owner: string): LockHandle {
    return new LockHandle(this.#store, name, owner);
  }

  async withLock<T>(name: string, ttlMs: number, work: () => Promise<T>): Promise<LockOutcome<T>> {
    const lock = await this.acquire(name, ttlMs);
    if (!lock) return { acquired: false };
    try {
      return { acquired: true, value: await work() };
    } finally {
      await lock.release();
    }
  }

  /** Waits (polling) until the lock is free, up to `waitMs`, then runs the work. */
  async block<T>(name: string, ttlMs: number, waitMs: number, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const outcome = await this.withLock(name, ttlMs, work);
      if (outcome.acquired) return outcome.value;
      if (Date.now() >= deadline) throw new LockTimeoutError(name, waitMs);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
