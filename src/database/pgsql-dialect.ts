import pg from 'pg';
import { PostgresDialect, type Dialect } from 'kysely';
import type { HostPort, ServerDatabaseConfig } from './settings.ts';

/** PostgreSQL through pg (loaded through dialects.ts only when a database is `pgsql`). */
export function pgsqlDialect(config: ServerDatabaseConfig, target: HostPort): Dialect {
  const pool = new pg.Pool({
    host: target.host,
    port: target.port,
    user: config.user,
    password: config.password,
    database: config.database,
    max: config.poolMax,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client dropped by the server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
}
