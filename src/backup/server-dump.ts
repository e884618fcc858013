import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { DatabaseConnection } from '../database/contract.ts';
import type { ServerDatabaseConfig } from '../database/settings.ts';
import { commandInput, commandOutput, firstOnPath, type CommandSpec } from './child-process.ts';
import { MIGRATIONS_TABLE, type DatabaseDumper, type DatabaseSnapshot } from './database-dump.ts';

/**
 * MySQL/MariaDB through `mariadb-dump`/`mysqldump --single-transaction` and PostgreSQL through
 * `pg_dump`: both read the whole database in one transaction's snapshot while writes go on.
 * Passwords reach the tools through the environment (MYSQL_PWD, PGPASSWORD), never argv.
 */
export class ServerDumper implements DatabaseDumper {
  readonly format = 'sql';
  readonly driver: 'mysql' | 'pgsql';

  constructor(
    private readonly config: ServerDatabaseConfig,
    private readonly connection: DatabaseConnection<unknown>,
  ) {
    this.driver = config.connection;
  }

  async snapshot(): Promise<DatabaseSnapshot> {
    const migrations = await this.#migrations();
    return { stream: commandOutput(this.#dumpCommand()), size: undefined, migrations: async () => migrations, cleanup: async () => {} };
  }

  async isEmpty(): Promise<boolean> {
    return (await this.#tables()).length === 0;
  }

  async restore(copy: Readable): Promise<void> {
    const tables = await this.#tables();
    // The dump re-creates the tables it has; the preamble drops every table, so one a later migration added is gone too.
    const preamble =
      this.driver === 'mysql'
        ? `SET FOREIGN_KEY_CHECKS=0;\n${tables.map((t) => `DROP TABLE IF EXISTS \`${t.replaceAll('`', '``')}\`;\n`).join('')}`
        : 'DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n';
    const input = Readable.from(
      (async function* () {
        yield Buffer.from(preamble);
        for await (const chunk of copy) yield chunk as Buffer;
      })(),
    );
    await commandInput(this.#restoreCommand(), input);
  }

  #dumpCommand(): CommandSpec {
    const c = this.config;
    if (this.driver === 'mysql') {
      return {
        command: firstOnPath(['mariadb-dump', 'mysqldump']),
        args: ['--single-transaction', '--quick', '--hex-blob', '--no-tablespaces', '--routines', '--triggers', '--default-character-set=utf8mb4', '--host', c.host, '--port', String(c.port), '--user', c.user, c.database],
        env: { MYSQL_PWD: c.password },
      };
    }
    return {
      command: 'pg_dump',
      args: ['--no-owner', '--no-privileges', '--host', c.host, '--port', String(c.port), '--username', c.user, '--dbname', c.database],
      env: { PGPASSWORD: c.password },
    };
  }

  #restoreCommand(): CommandSpec {
    const c = this.config;
    if (this.driver === 'mysql') {
      return {
        command: firstOnPath(['mariadb', 'mysql']),
        args: ['--default-character-set=utf8mb4', '--host', c.host, '--port', String(c.port), '--user', c.user, c.database],
        env: { MYSQL_PWD: c.password },
      };
    }
    return {
      // One transaction: the database is the backup's or, on any error, what it was.
      command: 'psql',
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--host', c.host, '--port', String(c.port), '--username', c.user, '--dbname', c.database],
      env: { PGPASSWORD: c.password },
    };
  }

  async #tables(): Promise<string[]> {
    const db = this.connection.db;
    const rows =
      this.driver === 'mysql'
        ? await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()`.execute(db)
        : await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`.execute(db);
    return rows.rows.map((r) => r.name);
  }

  async #migrations(): Promise<string[]> {
    if (!(await this.#tables()).includes(MIGRATIONS_TABLE)) return [];
    const rows = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATIONS_TABLE)} ORDER BY name`.execute(this.connection.db);
    return rows.rows.map((r) => r.name);
  }
}
