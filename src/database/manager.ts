import type { Config } from '../config/config.ts';
import type { DatabaseConfig } from './settings.ts';
import type { Logger } from '../observability/logger.ts';
import { withTimeout } from '../support/timeout.ts';
import type { DatabaseConnection } from './contract.ts';
import { ensureDatabaseExists } from './create-database.ts';
import { createServerConnection } from './server.ts';
import { createSqliteConnection } from './sqlite.ts';

const PING_TIMEOUT_MS = 3_000;

/** Opens each configured database once, on first use, with the driver its config names. */
export class DatabaseManager {
  readonly #connections = new Map<string, DatabaseConnection<unknown>>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
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
    if (settings.connection === 'sqlite') return createSqliteConnection(name, settings.file);
    return createServerConnection(name, settings, {
      replicaRetryMs: this.config.db.replicaRetrySeconds * 1000,
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

/** Creates a server database that does not exist yet (true when it did); a SQLite file is created when opened. */
export function createDatabaseIfMissing(settings: DatabaseConfig): Promise<boolean> {
  return settings.connection === 'sqlite' ? Promise.resolve(false) : ensureDatabaseExists(settings);
}
