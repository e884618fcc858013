import type SQLite from 'better-sqlite3';
import type { SessionRecord, SessionStore } from './contract.ts';

/** Sessions in `storage/framework/sessions.sqlite`, shared by every process on the machine. */
export class SqliteSessionStore implements SessionStore {
  readonly driver = 'sqlite';
  readonly #statements;

  constructor(private readonly handle: SQLite.Database) {
    handle.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      payload TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      user_id INTEGER
    )`);
    // Files made before sessions were listed per user lack the column.
    const columns = handle.prepare<[], { name: string }>('PRAGMA table_info(sessions)').all();
    if (!columns.some((c) => c.name === 'user_id')) handle.exec('ALTER TABLE sessions ADD COLUMN user_id INTEGER');
    handle.exec('CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)');
    handle.exec('CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions (user_id)');
    this.#statements = {
      read: handle.prepare<{ id: string; now: number }, { payload: string; expiresAt: number }>('SELECT payload, expires_at AS expiresAt FROM sessions WHERE id = @id AND expires_at > @now'),
      write: handle.prepare(`INSERT INTO sessions (id, payload, expires_at, user_id) VALUES (@id, @payload, @expires, @userId)
        ON CONFLICT(id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at, user_id = excluded.user_id`),
      idsOf: handle.prepare<{ userId: number; now: number }, { id: string }>('SELECT id FROM sessions WHERE user_id = @userId AND expires_at > @now'),
      destroyOf: handle.prepare<{ userId: number; now: number; except: string | null }>(
        'DELETE FROM sessions WHERE user_id = @userId AND expires_at > @now AND (@except IS NULL OR id <> @except)',
      ),
      destroy: handle.prepare<{ id: string }>('DELETE FROM sessions WHERE id = @id'),
      prune: handle.prepare<{ now: number }>('DELETE FROM sessions WHERE expires_at <= @now'),
    };
  }

  async read(id: string): Promise<string | undefined> {
    return this.#statements.read.get({ id, now: Date.now() })?.payload;
  }

  async readRecord(id: string): Promise<SessionRecord | undefined> {
    const row = this.#statements.read.get({ id, now: Date.now() });
    return row && { payload: row.payload, expiresAt: Number(row.expiresAt) };
  }

  async write(id: string, payload: string, ttlSeconds: number, userId?: number): Promise<void> {
    this.#statements.write.run({ id, payload, expires: Date.now() + ttlSeconds * 1000, userId: userId ?? null });
  }

  async idsOf(userId: number): Promise<string[]> {
    return this.#statements.idsOf.all({ userId, now: Date.now() }).map((row) => row.id);
  }

  async destroyOf(userId: number, exceptId?: string): Promise<number> {
    return this.#statements.destroyOf.run({ userId, now: Date.now(), except: exceptId ?? null }).changes;
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
