/** How to reach each database: the database port's own settings, which config builds from the environment. */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A MySQL/MariaDB or PostgreSQL database, with optional read replicas. */
export interface ServerDatabaseConfig extends HostPort {
  readonly connection: 'mysql' | 'pgsql';
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly poolMax: number;
  readonly readHosts: readonly HostPort[];
}

export interface SqliteDatabaseConfig {
  readonly connection: 'sqlite';
  readonly file: string;
}
export type DatabaseConfig = SqliteDatabaseConfig | ServerDatabaseConfig;
