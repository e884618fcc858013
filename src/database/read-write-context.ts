import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Per-request state for read/write splitting: once a request writes, its later reads go to
 * the primary (read-your-writes); `stickyUntil` carries that across requests of one session
 * for DB_STICKY_SECONDS (Laravel's `sticky`).
 */
export interface ReadWriteState {
  wrote: boolean;
  stickyUntil: number;
}

const storage = new AsyncLocalStorage<ReadWriteState>();

export const readWriteContext = {
  /** Runs `work`, and everything it starts, with its own state. */
  run<T>(state: ReadWriteState, work: () => T): T {
    return storage.run(state, work);
  },

  current(): ReadWriteState | undefined {
    return storage.getStore();
  },

  /** True when reads must see the primary: this request wrote, or its session wrote recently. */
  readsMustUsePrimary(): boolean {
    const state = storage.getStore();
    return state !== undefined && (state.wrote || state.stickyUntil > Date.now());
  },

  noteWrite(): void {
    const state = storage.getStore();
    if (state) state.wrote = true;
  },
};
