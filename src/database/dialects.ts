import type { Dialect } from 'kysely';
import type { HostPort, ServerDatabaseConfig } from './settings.ts';

/** Builds the Kysely dialect (with its connection pool) for one host of a server database. */
export type DialectFactory = (config: ServerDatabaseConfig, target: HostPort) => Dialect;

/**
 * The dialect of one server database kind. Each client package (mysql2, pg) is imported only
 * when a configured database uses it, so a MariaDB node never loads pg, nor a SQLite one either (issue 19).
 */
export async function loadDialect(connection: ServerDatabaseConfig['connection']): Promise<DialectFactory> {
  switch (connection) {
    case 'mysql':
      return (await import('./mysql-dialect.ts')).mysqlDialect;
    case 'pgsql':
      return (await import('./pgsql-dialect.ts')).pgsqlDialect;
  }
}
