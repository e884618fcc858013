import { sql, type Kysely } from 'kysely';
import type { DatabaseConnection } from './contract.ts';

const POLL_MS = 100;

export class DatabaseLockTimeoutError extends Error {}

/**
 * Runs `work` while holding a named lock on this database, so nodes that boot together do
 * not migrate or sync roles at the same time (Kysely's own migration lock covers only part
 * of a run: it creates its tables, and we sync roles, outside it).
 * MySQL/MariaDB: GET_LOCK (server-wide, so the name includes the database); PostgreSQL: a
 * session advisory lock (per database). Both are released by the server if the process dies.
 * `work` gets the one connection holding the lock; it must not wait for another from the pool,
 * which may have a single connection (DB_POOL_MAX=1).
 * SQLite: `work` runs as is; the embedded files have one migrating process (`marg start` or
 * `marg migrate`) at a time.
 */
export async function withDatabaseLock<DB, T>(
  connection: DatabaseConnection<DB>,
  name: string,
  work: (db: Kysely<DB>) => Promise<T>,
  timeoutMs = 300_000,
): Promise<T> {
  const db = connection.db;
  if (connection.dialect === 'sqlite') return work(db);
  const dialect = connection.dialect;
  return db.connection().execute(async (locked) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await tryLock(locked, dialect, name))) {
      if (Date.now() >= deadline) throw new DatabaseLockTimeoutError(`timed out after ${timeoutMs} ms waiting for the "${name}" lock on the ${connection.name} database`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    try {
      return await work(locked);
    } finally {
      await unlock(locked, dialect, name);
    }
  });
}

async function tryLock<DB>(db: Kysely<DB>, dialect: 'mysql' | 'pgsql', name: string): Promise<boolean> {
  if (dialect === 'mysql') {
    // Lock names are at most 64 characters: the database enters as its hash.
    const { rows } = await sql<{ ok: number | null }>`select get_lock(concat(${name}, ':', sha1(database())), 0) as ok`.execute(db);
    return Number(rows[0]?.ok) === 1;
  }
  const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${name})) as ok`.execute(db);
  return rows[0]?.ok === true;
}

async function unlock<DB>(db: Kysely<DB>, dialect: 'mysql' | 'pgsql', name: string): Promise<void> {
  if (dialect === 'mysql') await sql`select release_lock(concat(${name}, ':', sha1(database())))`.execute(db);
  else await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(db);
}
