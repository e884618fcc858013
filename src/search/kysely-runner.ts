import { CompiledQuery, type Kysely } from 'kysely';
import type { DatabaseConnection } from '../database/contract.ts';
import type { SqlRunner } from './sql-runner.ts';

/** A SqlRunner over a database port connection (the server SQL drivers); the connection's owner closes it. */
export function kyselyRunner(connection: DatabaseConnection<unknown>): SqlRunner {
  if (connection.dialect === 'sqlite') throw new Error('the SQLite search driver opens its own file');
  return over(connection.db, connection.dialect);
}

function over(db: Kysely<unknown>, dialect: 'mysql' | 'pgsql'): SqlRunner {
  const compile = (text: string, params: readonly unknown[]) => {
    let n = 0;
    // Our SQL never holds a literal `?`: every one is a placeholder.
    const sqlText = dialect === 'pgsql' ? text.replace(/\?/g, () => `$${++n}`) : text;
    return CompiledQuery.raw(sqlText, [...params]);
  };
  const runner: SqlRunner = {
    dialect,
    async query<R>(text: string, params: readonly unknown[] = []) {
      return (await db.executeQuery<R>(compile(text, params))).rows as R[];
    },
    async execute(text: string, params: readonly unknown[] = []) {
      await db.executeQuery(compile(text, params));
    },
    async batch(statements) {
      if (statements.length === 1) return runner.execute(statements[0]!.text, statements[0]!.params);
      await db.transaction().execute(async (trx) => {
        for (const s of statements) await trx.executeQuery(compile(s.text, s.params));
      });
    },
    transaction: (work) => db.transaction().execute((trx) => work(over(trx, dialect))),
    session: (work) => db.connection().execute((conn) => work(over(conn, dialect))),
    async close() {},
  };
  return runner;
}
