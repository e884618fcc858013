import type SQLite from 'better-sqlite3';
import type { JsonValue } from '../support/json.ts';
import type { CacheStore } from './contract.ts';

/**
 * A cache table in a SQLite file, shared by every process on the machine (so a CLI
 * command can invalidate what the server cached). Expired rows are ignored on read and
 * deleted by `prune()`.
 */
export class SqliteCacheStore implements CacheStore {
  readonly driver = 'sqlite';
  readonly #statements;

  constructor(private readonly handle: SQLite.Database, private readonly prefix: string) {
    handle.exec(`CREATE TABLE IF NOT EXISTS cache (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      expires_at INTEGER
    )`);
    const live = '(expires_at IS NULL OR expires_at > @now)';
    this.#statements = {
      get: handle.prepare<{ key: string; now: number }, { value: string }>(`SELECT value FROM cache WHERE key = @key AND ${live}`),
      set: handle.prepare(`INSERT INTO cache (key, value, expires_at) VALUES (@key, @value, @expires)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`),
      add: handle.prepare(`INSERT INTO cache (key, value, expires_at) VALUES (@key, @value, @expires)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
        WHERE cache.expires_at IS NOT NULL AND cache.expires_at <= @now`),
      delete: handle.prepare<{ key: string; now: number }>(`DELETE FROM cache WHERE key = @key AND ${live}`),
      increment: handle.prepare<{ key: string; by: number; expires: number | null; now: number }, { value: number }>(
        `INSERT INTO cache (key, value, expires_at) VALUES (@key, @by, @expires)
        ON CONFLICT(key) DO UPDATE SET
          value = CASE WHEN ${live.replaceAll('expires_at', 'cache.expires_at')} THEN CAST(cache.value AS INTEGER) + @by ELSE @by END,
          expires_at = CASE WHEN ${live.replaceAll('expires_at', 'cache.expires_at')} THEN cache.expires_at ELSE @expires END
        RETURNING CAST(value AS INTEGER) AS value`,
      ),
      flush: handle.prepare<{ pattern: string }>(`DELETE FROM cache WHERE key LIKE @pattern ESCAPE '\\'`),
      prune: handle.prepare<{ now: number }>('DELETE FROM cache WHERE expires_at IS NOT NULL AND expires_at <= @now'),
    };
  }

  async get(key: string): Promise<JsonValue | undefined> {
    const row = this.#statements.get.get({ key, now: Date.now() });
    return row === undefined ? undefined : (JSON.parse(row.value) as JsonValue);
  }

  async getMany(keys: readonly string[]): Promise<(JsonValue | undefined)[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(key: string, value: JsonValue, ttlSeconds?: number): Promise<void> {
    this.#statements.set.run({ key, value: JSON.stringify(value), expires: expiry(ttlSeconds) });
  }

  async add(key: string, value: JsonValue, ttlSeconds?: number): Promise<boolean> {
    const result = this.#statements.add.run({ key, value: JSON.stringify(value), expires: expiry(ttlSeconds), now: Date.now() });
    return result.changes > 0;
  }

  async delete(key: string): Promise<boolean> {
    return this.#statements.delete.run({ key, now: Date.now() }).changes > 0;
  }

  async increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    const row = this.#statements.increment.get({ key, by, expires: expiry(ttlSeconds), now: Date.now() });
    return Number(row!.value);
  }

  async flush(): Promise<void> {
    const escaped = this.prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    this.#statements.flush.run({ pattern: `${escaped}%` });
  }

  /** Deletes expired rows; the scheduler calls it. */
  async prune(): Promise<number> {
    return this.#statements.prune.run({ now: Date.now() }).changes;
  }

  async ping(): Promise<void> {
    this.handle.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    // The handle is owned by the embedded-storage registry, which closes it.
  }
}

function expiry(ttlSeconds: number | undefined): number | null {
  return ttlSeconds ? Date.now() + ttlSeconds * 1000 : null;
}
