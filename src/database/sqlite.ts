import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type { DatabaseConnection } from './contract.ts';
import { queryTimer } from './query-timing.ts';
import { openSqliteFile } from './sqlite-file.ts';

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, so the same SQL
 * text gets the same statement (queries are parameterised, so the texts are few).
 */
function withStatementCache(handle: SQLite.Database, limit = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => handle.close(),
    prepare(sqlText: string) {
      const cached = statements.get(sqlText);
      // A statement still iterating (a stream) cannot run again: such a query gets a fresh one.
      if (cached && !cached.busy) return cached;
      const statement = handle.prepare(sqlText);
      if (!cached && statements.size < limit) statements.set(sqlText, statement);
      return statement;
    },
  };
}

export function createSqliteConnection<DB>(name: string, file: string): DatabaseConnection<DB> {
  const handle = openSqliteFile(file);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }), log: queryTimer(name) });
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
