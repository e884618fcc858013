import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { RawEnv } from '../../src/config/env-files.ts';
import { ensureDatabaseExists } from '../../src/database/create-database.ts';
import type { DatabaseConnection } from '../../src/database/contract.ts';
import { loadDialect } from '../../src/database/dialects.ts';
import { createServerConnection } from '../../src/database/server.ts';
import type { ServerDatabaseConfig } from '../../src/database/settings.ts';
import { createSqliteConnection } from '../../src/database/sqlite.ts';
import { requireService, type ServiceStatus } from '../support/services.ts';
import { dropServerDatabase, uniqueTestStem } from '../support/server-databases.ts';

// The shared local/CI servers (test/support/services.ts decides skip or fail when one is absent).
export const SERVERS = {
  mysql: { host: '127.0.0.1', port: 3306, user: 'root', password: '' },
  pgsql: { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' },
} as const;

export type ContractDriver = 'sqlite' | 'mysql' | 'pgsql';

/** One fresh, empty database of a driver, and as many connections (pools) to it as a test opens. */
export interface DatabaseFixture {
  readonly driver: ContractDriver;
  /** A new connection to the database; closed by `close()`. */
  open<DB>(): DatabaseConnection<DB>;
  /**
   * Variables that put a whole platform on this driver's server (its own `DB_DATABASE` stem
   * is the caller's to choose), for the apps' real migrations.
   */
  readonly platformEnv: RawEnv;
  /** Closes every connection, then drops the database (removes the file). */
  close(): Promise<void>;
}

export type DatabaseFactory = () => Promise<DatabaseFixture>;

/** A real `select 1` (a port that merely accepts TCP is not enough), on a throwaway connection. */
export function serverService(driver: 'mysql' | 'pgsql'): Promise<ServiceStatus> {
  const server = SERVERS[driver];
  const name = driver === 'mysql' ? 'MariaDB/MySQL' : 'PostgreSQL';
  return requireService(name, () => selectOne(driver), { target: `${server.host}:${server.port}` });
}

async function selectOne(driver: 'mysql' | 'pgsql'): Promise<void> {
  const server = SERVERS[driver];
  if (driver === 'mysql') {
    const connection = await createConnection({ ...server, connectTimeout: 2_000 });
    try {
      await connection.query('select 1');
    } finally {
      connection.destroy();
    }
    return;
  }
  const client = new pg.Client({ ...server, database: 'postgres', connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select 1');
  } finally {
    await client.end();
  }
}

export function serverConfig(driver: 'mysql' | 'pgsql', database: string): ServerDatabaseConfig {
  return { connection: driver, ...SERVERS[driver], database, poolMax: 10, readHosts: [] };
}

const NO_REPLICAS = { replicaRetryMs: 10_000, onReplicaDown: () => {} };

/** A fresh database on a server: created here (as `marg migrate` creates one), dropped at the end. */
export async function serverDatabase(driver: 'mysql' | 'pgsql'): Promise<DatabaseFixture> {
  const config = serverConfig(driver, `${uniqueTestStem()}_contract`);
  await ensureDatabaseExists(config);
  const dialect = await loadDialect(driver);
  const opened: DatabaseConnection<unknown>[] = [];
  return {
    driver,
    open<DB>() {
      const connection = createServerConnection<DB>('contract', config, NO_REPLICAS, dialect);
      opened.push(connection as DatabaseConnection<unknown>);
      return connection;
    },
    platformEnv: {
      DB_CONNECTION: driver,
      DB_HOST: config.host,
      DB_PORT: String(config.port),
      DB_USERNAME: config.user,
      DB_PASSWORD: config.password,
    },
    async close() {
      await Promise.allSettled(opened.map((c) => c.close()));
      await dropServerDatabase(config);
    },
  };
}

/** A fresh SQLite file in a temp folder; every connection is another handle on it. */
export async function sqliteDatabase(): Promise<DatabaseFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'marg-contract-db-'));
  const opened: DatabaseConnection<unknown>[] = [];
  return {
    driver: 'sqlite',
    open<DB>() {
      const connection = createSqliteConnection<DB>('contract', join(dir, 'contract.sqlite'));
      opened.push(connection as DatabaseConnection<unknown>);
      return connection;
    },
    platformEnv: { DB_CONNECTION: 'sqlite' },
    async close() {
      await Promise.allSettled(opened.map((c) => c.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
