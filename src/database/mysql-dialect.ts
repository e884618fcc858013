import { createPool } from 'mysql2';
import { MysqlDialect, type Dialect } from 'kysely';
import type { HostPort, ServerDatabaseConfig } from './settings.ts';

/** MySQL/MariaDB through mysql2 (loaded through dialects.ts only when a database is `mysql`). */
export function mysqlDialect(config: ServerDatabaseConfig, target: HostPort): Dialect {
  return new MysqlDialect({
    pool: createPool({
      host: target.host,
      port: target.port,
      user: config.user,
      password: config.password,
      database: config.database,
      connectionLimit: config.poolMax,
      connectTimeout: 5_000,
      enableKeepAlive: true,
      // Marg stores times as ISO text; never let the driver shift them into the server's zone.
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
    }),
  });
}
