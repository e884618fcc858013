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
// Only a replica driver reads this state. On Node 20 the first storage.run() installs promise
// hooks that then cost every promise of the process (several % of a request), so without
// replicas run() just calls `work`.
let tracking = false;

export const readWriteContext = {
  /** Called by each replica driver (DB_READ_HOSTS) when it is created: from then on run() tracks state. */
  track(): void {
    tracking = true;
  },

  /** Runs `work`, and everything it starts, with its own state (when some connection has replicas). */
  run<T>(state: ReadWriteState, work: () => T): T {
    return tracking ? storage.run(state, work) : work();
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
