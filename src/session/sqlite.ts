import type SQLite from 'better-sqlite3';
import type { SessionStore } from './contract.ts';

/** Sessions in `storage/framework/sessions.sqlite`, shared by every process on the machine. */
export class SqliteSessionStore implements SessionStore {
  readonly driver = 'sqlite';
  readonly #statements;

  constructor(private readonly handle: SQLite.Database) {
    handle.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      payload TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    handle.exec('CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)');
    this.#statements = {
      read: handle.prepare<{ id: string; now: number }, { payload: string }>('SELECT payload FROM sessions WHERE id = @id AND expires_at > @now'),
      write: handle.prepare(`INSERT INTO sessions (id, payload, expires_at) VALUES (@id, @payload, @expires)
        ON CONFLICT(id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at`),
      destroy: handle.prepare<{ id: string }>('DELETE FROM sessions WHERE id = @id'),
      prune: handle.prepare<{ now: number }>('DELETE FROM sessions WHERE expires_at <= @now'),
    };
  }

  async read(id: string): Promise<string | undefined> {
    return this.#statements.read.get({ id, now: Date.now() })?.payload;
  }

  async write(id: string, payload: string, ttlSeconds: number): Promise<void> {
    this.#statements.write.run({ id, payload, expires: Date.now() + ttlSeconds * 1000 });
  }

  async destroy(id: string): Promise<void> {
    this.#statements.destroy.run({ id });
  }

  async prune(): Promise<number> {
    return this.#statements.prune.run({ now: Date.now() }).changes;
  }

  async ping(): Promise<void> {
    this.handle.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {}
}
