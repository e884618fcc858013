import type { InvalidationBus } from './contract.ts';

/**
 * Invalidations within one process: delivered directly. `live` only when nothing outside this
 * process can change what the caches hold (the memory stores); with stores other processes
 * share (SQLite files a CLI command or a second web process also writes), the caches stay off.
 */
export class LocalInvalidationBus implements InvalidationBus {
  readonly driver = 'local';
  readonly #listeners = new Set<(message: string) => void>();

  constructor(readonly live: boolean) {}

  async publish(message: string): Promise<void> {
    for (const listener of this.#listeners) listener(message);
  }

  subscribe(listener: (message: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
