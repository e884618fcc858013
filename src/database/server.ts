import { createPool } from 'mysql2';
import pg from 'pg';
import { Kysely, MysqlDialect, PostgresDialect, sql, type Dialect, type DatabaseIntrospector } from 'kysely';
import type { DatabaseConnection } from './contract.ts';
import type { HostPort, ServerDatabaseConfig } from './settings.ts';
import { queryTimer } from './query-timing.ts';
import { readWriteContext } from './read-write-context.ts';
import { ReplicaDriver } from './replica-driver.ts';

export interface ServerConnectionOptions {
  readonly replicaRetryMs: number;
  readonly onReplicaDown: (database: string, replica: string, error: Error) => void;
}

export function createServerConnection<DB>(name: string, config: ServerDatabaseConfig, options: ServerConnectionOptions): DatabaseConnection<DB> {
  const primary = dialectFor(config, config);
  const dialect =
    config.readHosts.length === 0
      ? primary
      : new ReplicaDialect(
          primary,
          config.readHosts.map((h) => ({ name: `${h.host}:${h.port}`, dialect: dialectFor(config, h) })),
          { retryAfterMs: options.replicaRetryMs, onReplicaDown: (replica, error) => options.onReplicaDown(name, replica, error) },
        );
  const db = new Kysely<DB>({ dialect, log: queryTimer(name) });
  return {
    name,
    dialect: config.connection,
    db,
    async ping() {
      // Raw SQL runs on the primary and counts as a write; a health check is not the request's
      // write, so it runs in a context of its own and does not make the session read the primary.
      await readWriteContext.run({ wrote: false, stickyUntil: 0 }, () => sql`select 1`.execute(db));
    },
    async close() {
      await db.destroy();
    },
  };
}

function dialectFor(config: ServerDatabaseConfig, target: HostPort): Dialect {
  if (config.connection === 'mysql') {
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

/** The base dialect's SQL and introspection, with a driver that splits reads and writes. */
class ReplicaDialect implements Dialect {
  constructor(
    private readonly base: Dialect,
    private readonly replicas: readonly { name: string; dialect: Dialect }[],
    private readonly options: ConstructorParameters<typeof ReplicaDriver>[2],
  ) {}

  createAdapter() {
    return this.base.createAdapter();
  }
  createDriver() {
    return new ReplicaDriver(
      this.base.createDriver(),
      this.replicas.map((r) => ({ name: r.name, driver: r.dialect.createDriver() })),
      this.options,
    );
  }
  createQueryCompiler() {
    return this.base.createQueryCompiler();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.base.createIntrospector(db);
  }
}
