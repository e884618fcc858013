import type SQLite from 'better-sqlite3';
import type { LockStore } from './contract.ts';

/** Locks in a SQLite table: exclusive across processes on one machine (SQLite serialises the writes). */
export class SqliteLockStore implements LockStore {
  readonly driver = 'sqlite';
  readonly #statements;

  constructor(handle: SQLite.Database) {
    handle.exec('CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)');
    this.#statements = {
      // Takes a free or expired lock, or re-takes one this owner already holds (extends it).
      acquire: handle.prepare(`INSERT INTO locks (name, owner, expires_at) VALUES (@name, @owner, @expires)
        ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE locks.expires_at <= @now OR locks.owner = excluded.owner`),
      // Only an unexpired lock of this owner: an expired row is not held, though still there.
      extend: handle.prepare('UPDATE locks SET expires_at = @expires WHERE name = @name AND owner = @owner AND expires_at > @now'),
      // An expired lock is no longer held: not reported as released (the next acquire takes the row over).
      release: handle.prepare('DELETE FROM locks WHERE name = @name AND owner = @owner AND expires_at > @now'),
    };
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.#statements.acquire.run({ name, owner, expires: now + ttlMs, now }).changes > 0;
  }

  async extend(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.#statements.extend.run({ name, owner, expires: now + ttlMs, now }).changes > 0;
  }

  async release(name: string, owner: string): Promise<boolean> {
    return this.#statements.release.run({ name, owner, now: Date.now() }).changes > 0;
  }

  async close(): Promise<void> {}
}
