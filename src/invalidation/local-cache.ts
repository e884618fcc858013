/**
 * Resolves after the I/O this turn of the event loop has already received: an invalidation that
 * Redis wrote to this process's subscriber before the request that depends on it could even be
 * sent (a sign-out answered on node A, then a request to node B) is read in the same turn as that
 * request, in whichever order the two sockets come up. Checking a copy again after this keeps
 * "the next request sees it" true; setImmediate runs after the turn's I/O callbacks.
 */
export function afterPendingInvalidations(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A bounded in-process map with a time to live, for copies of what a shared store holds.
 *
 * A read that misses takes `generation` before going to the store and hands it to `set`: any
 * delete or clear meanwhile (an invalidation that overtook the store's answer) makes that `set`
 * a no-op, so a value read before an invalidation is never kept after it.
 */
export class LocalCache<K, V> {
  readonly #entries = new Map<K, { readonly value: V; readonly expires: number }>();
  #generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get generation(): number {
    return this.#generation;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** `until`: the entry must not outlive this time either (ms since the epoch; the source's own expiry). */
  set(key: K, value: V, generation: number, now = Date.now(), until = Number.POSITIVE_INFINITY): void {
    if (generation !== this.#generation || until <= now) return;
    this.#entries.delete(key);
    // Oldest first (a Map keeps insertion order): a full cache drops the entry written longest ago.
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as K);
    this.#entries.set(key, { value, expires: Math.min(now + this.ttlMs, until) });
  }

  delete(key: K): void {
    this.#generation++;
    this.#entries.delete(key);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}
