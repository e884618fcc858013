import type { Config } from '../config/config.ts';
import type { DatabaseConfig, ServerDatabaseConfig, SqliteDatabaseConfig } from './settings.ts';
import type { Logger } from '../observability/logger.ts';
import { withTimeout } from '../support/timeout.ts';
import type { DatabaseConnection } from './contract.ts';
import { ensureDatabaseExists } from './create-database.ts';
import { loadDialect } from './dialects.ts';
import type { ServerConnectionOptions } from './server.ts';

const PING_TIMEOUT_MS = 3_000;

type SqliteOpener = (name: string, settings: SqliteDatabaseConfig) => DatabaseConnection<unknown>;
type ServerOpener = (name: string, settings: ServerDatabaseConfig, options: ServerConnectionOptions) => DatabaseConnection<unknown>;

/** The openers of the database kinds the config uses: only those modules (and client packages) are loaded. */
interface DatabaseDrivers {
  readonly sqlite?: SqliteOpener;
  readonly mysql?: ServerOpener;
  readonly pgsql?: ServerOpener;
}

async function sqliteOpener(): Promise<SqliteOpener> {
  const { createSqliteConnection } = await import('./sqlite.ts');
  return (name, settings) => createSqliteConnection(name, settings.file);
}

async function serverOpener(connection: ServerDatabaseConfig['connection']): Promise<ServerOpener> {
  const [{ createServerConnection }, dialect] = await Promise.all([import('./server.ts'), loadDialect(connection)]);
  return (name, settings, options) => createServerConnection(name, settings, options, dialect);
}

async function loadDrivers(databases: Config['databases']): Promise<DatabaseDrivers> {
  const kinds = new Set(Object.values(databases).map((d) => d.connection));
  const [sqlite, mysql, pgsql] = await Promise.all([
    kinds.has('sqlite') ? sqliteOpener() : undefined,
    kinds.has('mysql') ? serverOpener('mysql') : undefined,
    kinds.has('pgsql') ? serverOpener('pgsql') : undefined,
  ]);
  return { ...(sqlite ? { sqlite } : {}), ...(mysql ? { mysql } : {}), ...(pgsql ? { pgsql } : {}) };
}

/**
 * Opens each configured database once, on first use, with the driver its config names.
 * `DatabaseManager.open` imports those drivers first (issue 19: boot loads no client it does not use),
 * so `get` stays synchronous.
 */
export class DatabaseManager {
  readonly #connections = new Map<string, DatabaseConnection<unknown>>();

  static async open(config: Config, logger: Logger): Promise<DatabaseManager> {
    return new DatabaseManager(config, logger, await loadDrivers(config.databases));
  }

  private constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly drivers: DatabaseDrivers,
  ) {}

  get<DB>(name: string): DatabaseConnection<DB> {
    let connection = this.#connections.get(name);
    if (!connection) {
      connection = this.#open(name);
      this.#connections.set(name, connection);
    }
    return connection as DatabaseConnection<DB>;
  }

  #open(name: string): DatabaseConnection<unknown> {
    const settings = this.config.databases[name];
    // A name no app declares: a programming error, named plainly.
    if (!settings) throw new Error(`no database "${name}" is configured (the databases are: ${Object.keys(this.config.databases).join(', ')})`);
    if (settings.connection === 'sqlite') return loaded(this.drivers.sqlite, name)(name, settings);
    return loaded(this.drivers[settings.connection], name)(name, settings, {
      replicaRetryMs: this.config.db.replicaRetrySeconds * 1000,
      replicaMaxLagSeconds: this.config.db.replicaMaxLagSeconds,
      onReplicaDown: (database, replica, error) =>
        this.logger.warn({ database, replica, err: error }, 'read replica failed: reading from the primary until it is retried'),
    });
  }

  /** Health of every configured database: null when it answered, else the error. */
  async ping(): Promise<Record<string, string | null>> {
    const names = Object.keys(this.config.databases);
    const results = await Promise.all(
      names.map(async (name) => {
        try {
          await withTimeout(this.get(name).ping(), PING_TIMEOUT_MS);
          return null;
        } catch (error) {
          const { code, message } = error as { code?: string; message?: string };
          return message || code || 'unknown error';
        }
      }),
    );
    return Object.fromEntries(names.map((n, i) => [n, results[i] ?? null]));
  }

  async close(): Promise<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

/** open() loaded every configured kind; a miss is a programming error (a database added to config after open). */
function loaded<T>(opener: T | undefined, name: string): T {
  if (!opener) throw new Error(`the driver of database "${name}" was not loaded`);
  return opener;
}

/** Creates a server database that does not exist yet (true when it did); a SQLite file is created when opened. */
export function createDatabaseIfMissing(settings: DatabaseConfig): Promise<boolean> {
  return settings.connection === 'sqlite' ? Promise.resolve(false) : ensureDatabaseExists(settings);
}
