import { Kysely, sql, type Dialect, type DatabaseIntrospector } from 'kysely';
import type { DatabaseConnection } from './contract.ts';
import type { DialectFactory } from './dialects.ts';
import type { ServerDatabaseConfig } from './settings.ts';
import { queryTimer } from './query-timing.ts';
import { readWriteContext } from './read-write-context.ts';
import { ReplicaDriver } from './replica-driver.ts';
import { dbReplicaLag } from '../observability/metrics.ts';

export interface ServerConnectionOptions {
  readonly replicaRetryMs: number;
  /** DB_REPLICA_MAX_LAG (undefined: lag is measured and exported, never avoided). */
  readonly replicaMaxLagSeconds?: number | undefined;
  readonly onReplicaDown: (database: string, replica: string, error: Error) => void;
}

/** How often each node measures its replicas' lag (marg_db_replica_lag_seconds, DB_REPLICA_MAX_LAG). */
const LAG_CHECK_MS = 1_000;

/**
 * Seconds a replica is behind. MariaDB/MySQL: Seconds_Behind_Master, NULL (Infinity here) when
 * its replication threads are stopped; the account needs REPLICATION CLIENT (SLAVE MONITOR).
 * PostgreSQL: time since the last replayed transaction, 0 when nothing waits to be replayed
 * (an idle primary does not make a standby look behind).
 */
const LAG_QUERIES = {
  mysql: {
    sql: 'SHOW SLAVE STATUS',
    read: (row: Record<string, unknown> | undefined) => (row?.Seconds_Behind_Master === null || row?.Seconds_Behind_Master === undefined ? Infinity : Number(row.Seconds_Behind_Master)),
  },
  pgsql: {
    sql: "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS lag",
    read: (row: Record<string, unknown> | undefined) => Number(row?.lag ?? 0),
  },
} as const;

/** `dialectFor` is the client of `config.connection` (loadDialect): this module loads neither mysql2 nor pg itself. */
export function createServerConnection<DB>(name: string, config: ServerDatabaseConfig, options: ServerConnectionOptions, dialectFor: DialectFactory): DatabaseConnection<DB> {
  const primary = dialectFor(config, config);
  const dialect =
    config.readHosts.length === 0
      ? primary
      : new ReplicaDialect(
          primary,
          config.readHosts.map((h) => ({ name: `${h.host}:${h.port}`, dialect: dialectFor(config, h) })),
          {
            retryAfterMs: options.replicaRetryMs,
            onReplicaDown: (replica, error) => options.onReplicaDown(name, replica, error),
            lag: { ...LAG_QUERIES[config.connection], maxSeconds: options.replicaMaxLagSeconds, everyMs: LAG_CHECK_MS, onLag: (replica, seconds) => dbReplicaLag.set({ database: name, replica }, seconds) },
          },
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
