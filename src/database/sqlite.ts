import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { DatabaseConnection } from './contract.ts';

/** Opens a SQLite file tuned for a web server: WAL for concurrent readers, a busy timeout for writers. */
export function openSqliteFile(file: string): SQLite.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('busy_timeout = 5000');
  handle.pragma('foreign_keys = ON');
  return handle;
}

export function createSqliteConnection<DB>(name: string, file: string): DatabaseConnection<DB> {
  const handle = openSqliteFile(file);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  return {
    name,
    dialect: 'sqlite',
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
