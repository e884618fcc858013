import type { SessionRecord, SessionStore } from './contract.ts';

/** Sessions in a Map: for tests and single-process runs; lost on restart. */
export class MemorySessionStore implements SessionStore {
  readonly driver = 'memory';
  readonly #records = new Map<string, { payload: string; expiresAt: number; userId: number | undefined }>();

  async read(id: string): Promise<string | undefined> {
    return (await this.readRecord(id))?.payload;
  }

  async readRecord(id: string): Promise<SessionRecord | undefined> {
    const record = this.#records.get(id);
    if (!record) return undefined;
    if (record.expiresAt <= Date.now()) {
      this.#records.delete(id);
      return undefined;
    }
    return { payload: record.payload, expiresAt: record.expiresAt };
  }

  async write(id: string, payload: string, ttlSeconds: number, userId?: number): Promise<void> {
    this.#records.set(id, { payload, expiresAt: Date.now() + ttlSeconds * 1000, userId });
  }

  async idsOf(userId: number): Promise<string[]> {
    const now = Date.now();
    return [...this.#records].filter(([, r]) => r.userId === userId && r.expiresAt > now).map(([id]) => id);
  }

  async destroyOf(userId: number, exceptId?: string): Promise<number> {
    let removed = 0;
    for (const id of await this.idsOf(userId)) {
      if (id === exceptId) continue;
      this.#records.delete(id);
      removed++;
    }
    return removed;
  }

  async destroy(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async prune(): Promise<number> {
    const now = Date.now();
    let removed = 0;
    for (const [id, record] of this.#records) {
      if (record.expiresAt <= now) {
        this.#records.delete(id);
        removed++;
      }
    }
    return removed;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#records.clear();
  }
}
