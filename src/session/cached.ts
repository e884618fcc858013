import { EVERYTHING, type InvalidationBus } from '../invalidation/contract.ts';
import { afterPendingInvalidations, LocalCache } from '../invalidation/local-cache.ts';
import type { SessionRecord, SessionStore } from './contract.ts';

/** How long a read session stays in memory at most; invalidations end it sooner (the bus is the mechanism, this the safety net). */
export const SESSION_MEMORY_TTL_MS = 10_000;
const MAX_ENTRIES = 20_000;
const SESSION = 'session:';
const ALL_SESSIONS = 'sessions:*';

/**
 * Keeps the payloads this process read from the session store in memory for a few seconds, so
 * a signed-in request needs no store round trip. Every change goes through the bus first:
 * a write or destroy drops that id on every process, ending a user's sessions (`destroyOf`:
 * a password change, a sign-out everywhere) drops all of them, and while the bus is not live
 * (Redis reconnecting, or stores other processes share without one) every read goes to the store.
 */
export class CachedSessionStore implements SessionStore {
  readonly #memory = new LocalCache<string, string>(SESSION_MEMORY_TTL_MS, MAX_ENTRIES);
  #listening = false;

  constructor(
    private readonly store: SessionStore,
    private readonly bus: InvalidationBus,
  ) {}

  get driver(): string {
    return this.store.driver;
  }

  async read(id: string): Promise<string | undefined> {
    this.#listen();
    if (!this.bus.live) return this.store.read(id);
    if (this.#memory.get(id) !== undefined) {
      await afterPendingInvalidations();
      const cached = this.#memory.get(id);
      if (cached !== undefined && this.bus.live) return cached;
    }
    const generation = this.#memory.generation;
    const record = await this.store.readRecord(id);
    if (record && this.bus.live) this.#memory.set(id, record.payload, generation, Date.now(), record.expiresAt);
    return record?.payload;
  }

  readRecord(id: string): Promise<SessionRecord | undefined> {
    return this.store.readRecord(id);
  }

  async write(id: string, payload: string, ttlSeconds: number, userId?: number): Promise<void> {
    await this.store.write(id, payload, ttlSeconds, userId);
    await this.bus.publish(`${SESSION}${id}`);
  }

  async destroy(id: string): Promise<void> {
    await this.store.destroy(id);
    await this.bus.publish(`${SESSION}${id}`);
  }

  idsOf(userId: number): Promise<string[]> {
    return this.store.idsOf(userId);
  }

  async destroyOf(userId: number, exceptId?: string): Promise<number> {
    const ended = await this.store.destroyOf(userId, exceptId);
    // The ids are not known here without another round trip: every process forgets every session (rare: password changes, revocations).
    await this.bus.publish(ALL_SESSIONS);
    return ended;
  }

  prune(): Promise<number> {
    return this.store.prune();
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Subscribed on the first read: a CLI command that only ends sessions opens no subscriber connection. */
  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.bus.subscribe((message) => {
      if (message.startsWith(SESSION)) this.#memory.delete(message.slice(SESSION.length));
      else if (message === ALL_SESSIONS || message === EVERYTHING) this.#memory.clear();
    });
  }
}
