import type { LockStore } from './contract.ts';

/** A held lock (taken, or restored by its owner token): release or extend it without naming the owner again. */
export class LockHandle {
  readonly #store: LockStore;

  constructor(store: LockStore, readonly name: string, readonly owner: string) {
    this.#store = store;
  }

  /** False when the lock had already expired (or was never ours): someone else may hold it now. */
  release(): Promise<boolean> {
    return this.#store.release(this.name, this.owner);
  }

  /** Makes it expire `ttlMs` from now; false when it had already lapsed (see LockStore.extend). */
  extend(ttlMs: number): Promise<boolean> {
    return this.#store.extend(this.name, this.owner, ttlMs);
  }
}
