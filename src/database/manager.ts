import type { Config, DatabaseName } from '../config/config.ts';
import type { DatabaseConnection } from './contract.ts';
import { createSqliteConnection } from './sqlite.ts';

/** Opens each configured database once, on first use, with the driver its config names. */
export class DatabaseManager {
  readonly #connections = new Map<DatabaseName, DatabaseConnection<unknown>>();

  constructor(private readonly config: Config) {}

  get<DB>(name: DatabaseName): DatabaseConnection<DB> {
    let connection = this.#connections.get(name);
    if (!connection) {
      connection = this.#open(name);
      this.#connections.set(name, connection);
    }
    return connection as DatabaseConnection<DB>;
  }

  #open(name: DatabaseName): DatabaseConnection<unknown> {
    const settings = this.config.databases[name];
    switch (settings.connection) {
      case 'sqlite':
        return createSqliteConnection(name, settings.file);
    }
  }

  /** Health of every configured database: null when it answered, else the error. */
  async ping(): Promise<Record<string, string | null>> {
    const names = Object.keys(this.config.databases) as DatabaseName[];
    const results = await Promise.all(
      names.map(async (name) => {
        try {
          await this.get(name).ping();
          return null;
        } catch (error) {
          return (error as Error).message;
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
