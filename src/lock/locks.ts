import { randomUUID } from 'node:crypto';
import type { LockStore } from './contract.ts';

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
  constructor(readonly store: LockStore) {}

  async withLock<T>(name: string, ttlMs: number, work: () => Promise<T>): Promise<LockOutcome<T>> {
    const owner = randomUUID();
    if (!(await this.store.acquire(name, owner, ttlMs))) return { acquired: false };
    try {
      return { acquired: true, value: await work() };
    } finally {
      await this.store.release(name, owner);
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
}
